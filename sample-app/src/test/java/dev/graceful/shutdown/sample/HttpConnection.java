package dev.graceful.shutdown.sample;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 keep-alive connection to 127.0.0.1 on a raw socket: no retries, no
 * pooling, so every failure of the server side reaches the caller as an exception.
 */
final class HttpConnection implements Closeable {

	static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

	private static final int CONNECT_TIMEOUT_MS = 5000;

	private static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);

	private final Socket socket;

	private final InputStream in;

	private final OutputStream out;

	private final String host;

	private int exchanges;

	private HttpConnection(Socket socket, int port) throws IOException {
		this.socket = socket;
		this.in = new BufferedInputStream(socket.getInputStream(), 8192);
		this.out = socket.getOutputStream();
		this.host = "127.0.0.1:" + port;
	}

	/**
	 * Open a connection to a port of 127.0.0.1.
	 * @param port the port
	 * @param readTimeout how long a read may block before the exchange fails
	 * @return the connection
	 * @throws IOException if the connection cannot be opened
	 */
	static HttpConnection open(int port, Duration readTimeout) throws IOException {
		Socket socket = new Socket();
		try {
			socket.setTcpNoDelay(true);
			socket.setSoTimeout(Math.toIntExact(readTimeout.toMillis()));
			socket.connect(new InetSocketAddress(LOOPBACK, port), CONNECT_TIMEOUT_MS);
			return new HttpConnection(socket, port);
		}
		catch (IOException ex) {
			socket.close();
			throw ex;
		}
	}

	/**
	 * Send one {@code GET} on a new connection and close it.
	 * @param port the port of 127.0.0.1
	 * @param path the path and query
	 * @return the response
	 * @throws IOException if the exchange fails
	 */
	static Response get(int port, String path) throws IOException {
		try (HttpConnection connection = open(port, DEFAULT_READ_TIMEOUT)) {
			return connection.get(path);
		}
	}

	/**
	 * Send a {@code GET} on this connection and read its whole response.
	 * @param path the path and query
	 * @return the response
	 * @throws IOException if the exchange fails, including an end of stream before the
	 * response is complete
	 */
	Response get(String path) throws IOException {
		String request = "GET " + path + " HTTP/1.1\r\nHost: " + this.host + "\r\nUser-Agent: sample-app-it\r\n\r\n";
		this.out.write(request.getBytes(StandardCharsets.US_ASCII));
		this.out.flush();
		Response response = readResponse();
		this.exchanges++;
		return response;
	}

	/**
	 * Return how many exchanges completed on this connection.
	 * @return the number of complete responses read
	 */
	int exchanges() {
		return this.exchanges;
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
			body = readBody(parseInt(headers.get("content-length"), "Content-Length"));
		}
		else {
			body = readToEnd();
		}
		return new Response(status, headers, body);
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

	private String readBody(int length) throws IOException {
		return new String(readExactly(length), StandardCharsets.UTF_8);
	}

	private byte[] readExactly(int length) throws IOException {
		byte[] bytes = this.in.readNBytes(length);
		if (bytes.length < length) {
			throw new EOFException("connection closed after " + bytes.length + " of " + length + " body bytes");
		}
		return bytes;
	}

	private String readToEnd() throws IOException {
		return new String(this.in.readAllBytes(), StandardCharsets.UTF_8);
	}

	private String readLine() throws IOException {
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

	/**
	 * A complete HTTP response.
	 *
	 * @param status the status code
	 * @param headers the headers, names in lower case, repeated headers joined with
	 * {@code ", "}
	 * @param body the body, decoded as UTF-8
	 */
	record Response(int status, Map<String, String> headers, String body) {

		/**
		 * Whether the server announced that it closes the connection after this response.
		 * @return whether the response carries {@code Connection: close}
		 */
		boolean closesConnection() {
			String connection = this.headers.get("connection");
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

	}

}
