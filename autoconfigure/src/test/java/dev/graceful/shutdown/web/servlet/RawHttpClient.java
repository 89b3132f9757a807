package dev.graceful.shutdown.web.servlet;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * A minimal HTTP/1.1 client over plain sockets, so that tests see exactly what the
 * server sends: every header as written (including {@code Connection}), and whether
 * the server closes the connection after a response. {@link java.net.http.HttpClient}
 * hides both.
 */
final class RawHttpClient {

	/** Upper bound on any wait for the server, so that a broken server fails a test instead of hanging it. */
	static final Duration TIMEOUT = Duration.ofSeconds(60);

	private final int port;

	RawHttpClient(int port) {
		this.port = port;
	}

	/**
	 * Send one GET on a new connection and read the response.
	 * @param path the path and query
	 * @return the response
	 * @throws IOException if the connection fails or is closed before a full response
	 */
	Response get(String path) throws IOException {
		try (Connection connection = open()) {
			return connection.get(path);
		}
	}

	/**
	 * Open a connection that can carry several requests (HTTP/1.1 keep-alive).
	 * @return the connection
	 * @throws IOException if the server does not accept it
	 */
	Connection open() throws IOException {
		Socket socket = new Socket();
		try {
			socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), this.port),
					(int) TIMEOUT.toMillis());
			socket.setSoTimeout((int) TIMEOUT.toMillis());
			return new Connection(socket);
		}
		catch (IOException ex) {
			socket.close();
			throw ex;
		}
	}

	/**
	 * Whether the server refuses new TCP connections (its listening socket is closed).
	 * @return {@code true} if a connection attempt is refused
	 */
	boolean refusesConnections() {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), this.port), 5000);
			return false;
		}
		catch (ConnectException ex) {
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

	/**
	 * One client connection.
	 */
	static final class Connection implements AutoCloseable {

		private final Socket socket;

		private final InputStream in;

		private final OutputStream out;

		Connection(Socket socket) throws IOException {
			this.socket = socket;
			this.in = new BufferedInputStream(socket.getInputStream());
			this.out = socket.getOutputStream();
		}

		/**
		 * Send a GET on this connection and read the response.
		 * @param path the path and query
		 * @return the response
		 * @throws IOException if the connection fails or is closed before a full
		 * response
		 */
		Response get(String path) throws IOException {
			String request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n";
			this.out.write(request.getBytes(StandardCharsets.US_ASCII));
			this.out.flush();
			return readResponse();
		}

		/**
		 * Wait until the server closes this connection.
		 * @param timeout how long to wait
		 * @return {@code true} if the server closed it in time without sending more
		 * bytes, {@code false} if it kept it open
		 * @throws IOException if the server sent unexpected bytes
		 */
		boolean awaitClosedByServer(Duration timeout) throws IOException {
			this.socket.setSoTimeout((int) timeout.toMillis());
			try {
				int read = this.in.read();
				if (read != -1) {
					throw new IOException("Unexpected byte after the response: " + read);
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
				this.socket.setSoTimeout((int) TIMEOUT.toMillis());
			}
		}

		private Response readResponse() throws IOException {
			String statusLine = readLine();
			String[] parts = statusLine.split(" ", 3);
			if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
				throw new IOException("Not an HTTP/1.x status line: '" + statusLine + "'");
			}
			int status = Integer.parseInt(parts[1]);
			Map<String, String> headers = new LinkedHashMap<>();
			for (String line = readLine(); !line.isEmpty(); line = readLine()) {
				int colon = line.indexOf(':');
				String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
				String value = line.substring(colon + 1).trim();
				headers.merge(name, value, (first, second) -> first + ", " + second);
			}
			byte[] body;
			String contentLength = headers.get("content-length");
			if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
				body = readChunked();
			}
			else if (contentLength != null) {
				body = this.in.readNBytes(Integer.parseInt(contentLength));
			}
			else if (status == 204 || status == 304 || status / 100 == 1) {
				body = new byte[0];
			}
			else {
				body = this.in.readAllBytes();
			}
			return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
		}

		private byte[] readChunked() throws IOException {
			ByteArrayOutputStream body = new ByteArrayOutputStream();
			while (true) {
				String sizeLine = readLine();
				int semicolon = sizeLine.indexOf(';');
				int size = Integer.parseInt((semicolon >= 0) ? sizeLine.substring(0, semicolon) : sizeLine, 16);
				if (size == 0) {
					for (String trailer = readLine(); !trailer.isEmpty(); trailer = readLine()) {
						// Trailers are not used by these tests.
					}
					return body.toByteArray();
				}
				byte[] chunk = this.in.readNBytes(size);
				if (chunk.length < size) {
					throw new EOFException("Connection closed in the middle of a chunk");
				}
				body.write(chunk);
				readLine();
			}
		}

		private String readLine() throws IOException {
			StringBuilder line = new StringBuilder();
			while (true) {
				int b = this.in.read();
				if (b == -1) {
					throw new EOFException("Connection closed by the server before a full response"
							+ ((line.length() > 0) ? " (partial line: '" + line + "')" : ""));
				}
				if (b == '\n') {
					int end = line.length();
					if (end > 0 && line.charAt(end - 1) == '\r') {
						line.setLength(end - 1);
					}
					return line.toString();
				}
				line.append((char) b);
			}
		}

		@Override
		public void close() throws IOException {
			this.socket.close();
		}

	}

	/**
	 * A response as the server sent it.
	 *
	 * @param status the status code
	 * @param headers the headers, by lower-case name
	 * @param body the body
	 */
	record Response(int status, Map<String, String> headers, String body) {

		@Nullable String header(String name) {
			return this.headers.get(name.toLowerCase(Locale.ROOT));
		}

		/**
		 * Whether the response tells the client to close the connection.
		 * @return whether the response carries {@code Connection: close}
		 */
		boolean closesConnection() {
			String connection = header("Connection");
			return connection != null && connection.toLowerCase(Locale.ROOT).contains("close");
		}

	}

}
