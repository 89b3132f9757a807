package dev.graceful.shutdown.testsupport;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;
import org.jspecify.annotations.Nullable;

/**
 * A minimal HTTP/1.1 client on plain sockets to a port of the loopback address, so that
 * tests see exactly what the server sends and does: every header as written (including
 * {@code Connection}), whether the server closes the connection after a response, and
 * whether it accepts new connections at all. No retries and no pooling: every failure of
 * the server side reaches the caller as an exception.
 * <p>
 * Deliberately not {@link java.net.http.HttpClient}: it hides the {@code Connection}
 * header and whether the server closed the connection, and on JDK 17 a GET on a pooled
 * keep-alive connection to Reactor Netty now and then never sees its response, although
 * the server has written it, which made polling tests hang until their timeout.
 * <p>
 * Instances are immutable; each {@link Connection} is for one thread at a time.
 */
public final class RawHttp {

	/** The address every connection goes to. */
	public static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

	/**
	 * Default read timeout: an upper bound on any wait for the server, so that a broken
	 * server fails a test instead of hanging it.
	 */
	public static final Duration TIMEOUT = Duration.ofSeconds(60);

	private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

	// A missing value reads as null, so that a poll can wait for it to appear.
	private static final Configuration JSON = Configuration.defaultConfiguration()
		.addOptions(Option.SUPPRESS_EXCEPTIONS);

	private final int port;

	private final Duration connectTimeout;

	private final Duration readTimeout;

	private final boolean connectionClose;

	private final @Nullable Duration closeWait;

	/**
	 * Create a client for a port of the loopback address.
	 * @param port the server's port
	 */
	public RawHttp(int port) {
		this(port, CONNECT_TIMEOUT, TIMEOUT, false, null);
	}

	private RawHttp(int port, Duration connectTimeout, Duration readTimeout, boolean connectionClose,
			@Nullable Duration closeWait) {
		this.port = port;
		this.connectTimeout = connectTimeout;
		this.readTimeout = readTimeout;
		this.connectionClose = connectionClose;
		this.closeWait = closeWait;
	}

	/**
	 * One GET with {@code Connection: close} on a new connection, for polls and predicates:
	 * a failure is unchecked.
	 * @param port the server's port
	 * @param path the path and query, such as {@code /actuator/health}
	 * @return the response
	 * @throws UncheckedIOException if the connection fails or is closed before a full
	 * response
	 */
	public static Response fetch(int port, String path) {
		try {
			return new RawHttp(port).withConnectionClose().get(path);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("GET " + path + " on port " + port + " failed", ex);
		}
	}

	/**
	 * {@link #fetch(int, String) Fetch} on a daemon thread of its own, without waiting for
	 * the response.
	 * @param port the server's port
	 * @param path the path and query
	 * @return the response to come
	 */
	public static CompletableFuture<Response> fetchAsync(int port, String path) {
		return new RawHttp(port).withConnectionClose().getAsync(path);
	}

	/**
	 * Return a client that gives up connecting after the given time.
	 * @param timeout the connect timeout
	 * @return the client
	 */
	public RawHttp withConnectTimeout(Duration timeout) {
		return new RawHttp(this.port, timeout, this.readTimeout, this.connectionClose, this.closeWait);
	}

	/**
	 * Return a client whose reads fail after blocking for the given time.
	 * @param timeout the read timeout
	 * @return the client
	 */
	public RawHttp withReadTimeout(Duration timeout) {
		return new RawHttp(this.port, this.connectTimeout, timeout, this.connectionClose, this.closeWait);
	}

	/**
	 * Return a client whose requests ask the server to close the connection after the
	 * response ({@code Connection: close}).
	 * @return the client
	 */
	public RawHttp withConnectionClose() {
		return new RawHttp(this.port, this.connectTimeout, this.readTimeout, true, this.closeWait);
	}

	/**
	 * Return a client that, after each response that says {@code Connection: close},
	 * waits for the server to close the connection and records whether it did in
	 * {@link Response#closedByServer()}.
	 * @param timeout how long to wait for the server to close the connection
	 * @return the client
	 */
	public RawHttp awaitingServerClose(Duration timeout) {
		return new RawHttp(this.port, this.connectTimeout, this.readTimeout, this.connectionClose, timeout);
	}

	/**
	 * Return the server's port.
	 * @return the port
	 */
	public int port() {
		return this.port;
	}

	/**
	 * Send one GET on a new connection, read the response and close the connection.
	 * @param path the path and query
	 * @return the response
	 * @throws IOException if the connection is refused or fails, or is closed before a
	 * full response
	 */
	public Response get(String path) throws IOException {
		try (Connection connection = open()) {
			return connection.get(path);
		}
	}

	/**
	 * {@link #get(String) Get} on a daemon thread of its own, without waiting for the
	 * response.
	 * @param path the path and query
	 * @return the response to come
	 */
	public CompletableFuture<Response> getAsync(String path) {
		CompletableFuture<Response> response = new CompletableFuture<>();
		Thread thread = new Thread(() -> {
			try {
				response.complete(get(path));
			}
			catch (Throwable ex) {
				response.completeExceptionally(ex);
			}
		}, "raw-http-" + path);
		thread.setDaemon(true);
		thread.start();
		return response;
	}

	/**
	 * Open a connection that can carry several requests (HTTP/1.1 keep-alive).
	 * @return the connection, to be closed by the caller
	 * @throws IOException if the server does not accept it
	 */
	public Connection open() throws IOException {
		Socket socket = new Socket();
		try {
			socket.setTcpNoDelay(true);
			socket.setSoTimeout(millis(this.readTimeout));
			socket.connect(new InetSocketAddress(LOOPBACK, this.port), millis(this.connectTimeout));
			return new Connection(this, socket);
		}
		catch (IOException ex) {
			socket.close();
			throw ex;
		}
	}

	/**
	 * Whether the server refuses new TCP connections (its listening socket is closed).
	 * @return {@code true} if a connection attempt is refused, {@code false} if it is
	 * accepted or fails in another way
	 */
	public boolean refusesConnections() {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(LOOPBACK, this.port), millis(this.connectTimeout));
			return false;
		}
		catch (ConnectException ex) {
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

	private byte[] request(String path) {
		String request = "GET " + path + " HTTP/1.1\r\nHost: localhost:" + this.port + "\r\nAccept: */*\r\n"
				+ (this.connectionClose ? "Connection: close\r\n" : "") + "\r\n";
		return request.getBytes(StandardCharsets.US_ASCII);
	}

	private static int millis(Duration duration) {
		return Math.toIntExact(duration.toMillis());
	}

	/**
	 * One client connection.
	 */
	public static final class Connection implements Closeable {

		private final RawHttp client;

		private final Socket socket;

		private final InputStream in;

		private final OutputStream out;

		private int exchanges;

		private Connection(RawHttp client, Socket socket) throws IOException {
			this.client = client;
			this.socket = socket;
			this.in = new BufferedInputStream(socket.getInputStream());
			this.out = socket.getOutputStream();
		}

		/**
		 * Send a GET on this connection and read the whole response; the connection stays
		 * open unless the server closes it.
		 * @param path the path and query
		 * @return the response
		 * @throws IOException if the exchange fails, including an end of stream before the
		 * response is complete
		 */
		public Response get(String path) throws IOException {
			this.out.write(this.client.request(path));
			this.out.flush();
			Response response = readResponse();
			this.exchanges++;
			return response;
		}

		/**
		 * Return how many exchanges completed on this connection.
		 * @return the number of complete responses read
		 */
		public int exchanges() {
			return this.exchanges;
		}

		/**
		 * Wait until the server closes this connection.
		 * @param timeout how long to wait
		 * @return {@code true} if the server closed it in time without sending more
		 * bytes, {@code false} if it kept it open
		 * @throws IOException if the server sent unexpected bytes
		 */
		public boolean awaitClosedByServer(Duration timeout) throws IOException {
			this.socket.setSoTimeout(millis(timeout));
			try {
				int read = this.in.read();
				if (read != -1) {
					throw new ProtocolException("unexpected byte after the response: " + read);
				}
				return true;
			}
			catch (SocketTimeoutException ex) {
				return false;
			}
			catch (SocketException ex) {
				// Connection reset: closed as well, less politely.
				return true;
			}
			finally {
				this.socket.setSoTimeout(millis(this.client.readTimeout));
			}
		}

		private Response readResponse() throws IOException {
			String statusLine = readLine();
			if (statusLine == null) {
				throw new EOFException("connection closed before the status line");
			}
			String[] parts = statusLine.split(" ", 3);
			if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
				throw new ProtocolException("malformed status line '" + statusLine + "'");
			}
			int status = parseInt(parts[1], statusLine);
			Map<String, String> headers = readHeaders();
			String body;
			if (status / 100 == 1 || status == 204 || status == 304) {
				body = "";
			}
			else if (headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked")) {
				body = readChunkedBody();
			}
			else if (headers.containsKey("content-length")) {
				body = new String(readExactly(parseInt(headers.get("content-length"), "Content-Length")),
						StandardCharsets.UTF_8);
			}
			else {
				body = new String(this.in.readAllBytes(), StandardCharsets.UTF_8);
			}
			Response response = new Response(status, Collections.unmodifiableMap(headers), body, false);
			Duration closeWait = this.client.closeWait;
			if (closeWait != null && response.closesConnection()) {
				return new Response(status, response.headers(), body, awaitClosedByServer(closeWait));
			}
			return response;
		}

		private Map<String, String> readHeaders() throws IOException {
			Map<String, String> headers = new LinkedHashMap<>();
			while (true) {
				String line = readLine();
				if (line == null) {
					throw new EOFException("connection closed inside the response headers");
				}
				if (line.isEmpty()) {
					return headers;
				}
				int colon = line.indexOf(':');
				if (colon <= 0) {
					throw new ProtocolException("malformed header line '" + line + "'");
				}
				String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
				String value = line.substring(colon + 1).trim();
				headers.merge(name, value, (first, second) -> first + ", " + second);
			}
		}

		private String readChunkedBody() throws IOException {
			ByteArrayOutputStream body = new ByteArrayOutputStream();
			while (true) {
				String sizeLine = readLine();
				if (sizeLine == null) {
					throw new EOFException("connection closed before a chunk size");
				}
				int semicolon = sizeLine.indexOf(';');
				String hex = ((semicolon >= 0) ? sizeLine.substring(0, semicolon) : sizeLine).trim();
				int size;
				try {
					size = Integer.parseInt(hex, 16);
				}
				catch (NumberFormatException ex) {
					throw new ProtocolException("malformed chunk size '" + sizeLine + "'");
				}
				if (size == 0) {
					// Trailers, then the empty line that ends the message.
					readHeaders();
					return body.toString(StandardCharsets.UTF_8);
				}
				body.write(readExactly(size));
				String end = readLine();
				if (end == null || !end.isEmpty()) {
					throw new ProtocolException("chunk not followed by CRLF");
				}
			}
		}

		private byte[] readExactly(int length) throws IOException {
			byte[] bytes = this.in.readNBytes(length);
			if (bytes.length < length) {
				throw new EOFException("connection closed after " + bytes.length + " of " + length + " body bytes");
			}
			return bytes;
		}

		/**
		 * Read one line without its line end.
		 * @return the line, or {@code null} if the stream ended before its first byte
		 */
		private @Nullable String readLine() throws IOException {
			StringBuilder line = new StringBuilder();
			while (true) {
				int b = this.in.read();
				if (b == -1) {
					if (line.length() == 0) {
						return null;
					}
					throw new EOFException("connection closed inside a line: '" + line + "'");
				}
				if (b == '\n') {
					int last = line.length() - 1;
					if (last >= 0 && line.charAt(last) == '\r') {
						line.setLength(last);
					}
					return line.toString();
				}
				line.append((char) b);
			}
		}

		private static int parseInt(String value, String what) throws ProtocolException {
			try {
				return Integer.parseInt(value.trim());
			}
			catch (NumberFormatException ex) {
				throw new ProtocolException("malformed number in " + what + ": '" + value + "'");
			}
		}

		@Override
		public void close() {
			try {
				this.socket.close();
			}
			catch (IOException ex) {
				// Nothing left to do with a socket that cannot even close.
			}
		}

	}

	/**
	 * A complete response as the server sent it.
	 *
	 * @param status the status code
	 * @param headers the headers, names in lower case, repeated headers joined with
	 * {@code ", "}
	 * @param body the body, decoded as UTF-8
	 * @param closedByServer whether the response said {@code Connection: close} and the
	 * server then closed the connection; only known to a client
	 * {@link RawHttp#awaitingServerClose(Duration) awaiting server close}, otherwise
	 * {@code false}
	 */
	public record Response(int status, Map<String, String> headers, String body, boolean closedByServer) {

		/**
		 * Return a header's value.
		 * @param name the header's name, in any case
		 * @return the value, repeated headers joined with {@code ", "}, or {@code null}
		 * if there is none
		 */
		public @Nullable String header(String name) {
			return this.headers.get(name.toLowerCase(Locale.ROOT));
		}

		/**
		 * Whether the server announced that it closes the connection after this response.
		 * @return whether the response carries {@code Connection: close}
		 */
		public boolean closesConnection() {
			String connection = header("Connection");
			if (connection == null) {
				return false;
			}
			for (String token : connection.split(",")) {
				if (token.trim().equalsIgnoreCase("close")) {
					return true;
				}
			}
			return false;
		}

		/**
		 * Read a value of the JSON body.
		 * @param <T> the type of the value
		 * @param path a JSON path such as {@code $.report.phases[*].name}
		 * @return the value, or {@code null} if there is none
		 */
		public <T> @Nullable T json(String path) {
			return JsonPath.using(JSON).parse(this.body).read(path);
		}

	}

}
