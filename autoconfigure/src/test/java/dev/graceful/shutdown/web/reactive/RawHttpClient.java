package dev.graceful.shutdown.web.reactive;

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
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * A minimal HTTP/1.1 client on a plain socket, one connection per request unless a test
 * {@link #open() opens} a keep-alive connection, so that tests see the response headers
 * exactly as sent (including {@code Connection}), whether the server closed the
 * connection afterwards, and whether it accepted the connection at all.
 */
final class RawHttpClient {

	private static final int READ_TIMEOUT_MS = 30_000;

	/** How long to wait for the server to close a connection it said it would close. */
	private static final int CLOSE_TIMEOUT_MS = 5_000;

	private final InetAddress address = InetAddress.getLoopbackAddress();

	private final int port;

	RawHttpClient(int port) {
		this.port = port;
	}

	/**
	 * Send {@code GET path} on a new connection and read the response. If the response
	 * says {@code Connection: close}, also wait for the server to close the connection.
	 * @param path the path and query
	 * @return the response
	 * @throws IOException if the connection is refused or fails
	 */
	Response get(String path) throws IOException {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(this.address, this.port), READ_TIMEOUT_MS);
			socket.setSoTimeout(READ_TIMEOUT_MS);
			return exchange(socket, new BufferedInputStream(socket.getInputStream()), path);
		}
	}

	/**
	 * Open a connection for several requests in a row (HTTP/1.1 keep-alive).
	 * @return the connection, to be closed by the caller
	 * @throws IOException if the connection is refused or fails
	 */
	KeepAliveConnection open() throws IOException {
		Socket socket = new Socket();
		try {
			socket.connect(new InetSocketAddress(this.address, this.port), READ_TIMEOUT_MS);
			socket.setSoTimeout(READ_TIMEOUT_MS);
			return new KeepAliveConnection(socket);
		}
		catch (IOException ex) {
			socket.close();
			throw ex;
		}
	}

	private Response exchange(Socket socket, InputStream in, String path) throws IOException {
		OutputStream out = socket.getOutputStream();
		String request = "GET " + path + " HTTP/1.1\r\nHost: " + this.address.getHostAddress() + ":" + this.port
				+ "\r\n\r\n";
		out.write(request.getBytes(StandardCharsets.US_ASCII));
		out.flush();
		String statusLine = readLine(in);
		int status = Integer.parseInt(statusLine.split(" ", 3)[1]);
		Map<String, String> headers = new LinkedHashMap<>();
		for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
			int colon = line.indexOf(':');
			headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
		}
		String body = readBody(in, headers);
		boolean closeRequested = "close".equalsIgnoreCase(headers.get("connection"));
		boolean closedByServer = closeRequested && awaitClose(socket, in);
		return new Response(status, headers, body, closedByServer);
	}

	/**
	 * Whether the server refuses new connections (nothing listens on the port any more).
	 * @return {@code true} if a connection attempt was refused, {@code false} if accepted
	 * @throws IOException if the attempt fails in another way
	 */
	boolean refusesConnections() throws IOException {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(this.address, this.port), READ_TIMEOUT_MS);
			return false;
		}
		catch (ConnectException ex) {
			return true;
		}
	}

	private static String readBody(InputStream in, Map<String, String> headers) throws IOException {
		String contentLength = headers.get("content-length");
		if (contentLength != null) {
			return new String(readExactly(in, Integer.parseInt(contentLength)), StandardCharsets.UTF_8);
		}
		if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
			ByteArrayOutputStream body = new ByteArrayOutputStream();
			for (int size = chunkSize(in); size > 0; size = chunkSize(in)) {
				body.write(readExactly(in, size));
				readLine(in);
			}
			for (String trailer = readLine(in); !trailer.isEmpty(); trailer = readLine(in)) {
				// Trailers are not used by these tests.
			}
			return body.toString(StandardCharsets.UTF_8);
		}
		return new String(in.readAllBytes(), StandardCharsets.UTF_8);
	}

	private static int chunkSize(InputStream in) throws IOException {
		String line = readLine(in);
		int extension = line.indexOf(';');
		return Integer.parseInt((extension >= 0) ? line.substring(0, extension) : line, 16);
	}

	private static boolean awaitClose(Socket socket, InputStream in) throws IOException {
		socket.setSoTimeout(CLOSE_TIMEOUT_MS);
		try {
			return in.read() == -1;
		}
		catch (SocketTimeoutException ex) {
			return false;
		}
	}

	private static byte[] readExactly(InputStream in, int length) throws IOException {
		byte[] bytes = in.readNBytes(length);
		if (bytes.length < length) {
			throw new EOFException("Expected " + length + " bytes, got " + bytes.length);
		}
		return bytes;
	}

	private static String readLine(InputStream in) throws IOException {
		StringBuilder line = new StringBuilder();
		while (true) {
			int b = in.read();
			if (b == -1) {
				throw new EOFException("Connection closed after '" + line + "'");
			}
			if (b == '\n') {
				int end = line.length();
				return (end > 0 && line.charAt(end - 1) == '\r') ? line.substring(0, end - 1) : line.toString();
			}
			line.append((char) b);
		}
	}

	/**
	 * A connection that stays open for the next request.
	 */
	final class KeepAliveConnection implements AutoCloseable {

		private final Socket socket;

		private final InputStream in;

		private KeepAliveConnection(Socket socket) throws IOException {
			this.socket = socket;
			this.in = new BufferedInputStream(socket.getInputStream());
		}

		/**
		 * Send {@code GET path} on this connection and read the response; as
		 * {@link RawHttpClient#get(String)}, but the connection stays open unless the
		 * server closes it.
		 * @param path the path and query
		 * @return the response
		 * @throws IOException if the connection fails
		 */
		Response get(String path) throws IOException {
			return exchange(this.socket, this.in, path);
		}

		@Override
		public void close() throws IOException {
			this.socket.close();
		}

	}

	/**
	 * An HTTP response.
	 *
	 * @param status the status code
	 * @param headers the headers, names in lower case
	 * @param body the body
	 * @param closedByServer whether the response said {@code Connection: close} and the
	 * server then closed the connection
	 */
	record Response(int status, Map<String, String> headers, String body, boolean closedByServer) {

		@Nullable String header(String name) {
			return this.headers.get(name.toLowerCase(Locale.ROOT));
		}

	}

}
