package dev.graceful.shutdown;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;

/**
 * Test support: plain HTTP/1.1 GETs to a server on the loopback address, one connection
 * per request ({@code Connection: close}), with JSON path reads of the answer.
 * <p>
 * Deliberately not {@code java.net.http.HttpClient}: on JDK 17 a GET on a pooled
 * keep-alive connection to Reactor Netty now and then never sees its response, although
 * the server has written it, which made polling tests hang until their timeout.
 */
public final class LocalHttp {

	// A missing value reads as null, so that a poll can wait for it to appear.
	private static final Configuration JSON = Configuration.defaultConfiguration()
		.addOptions(Option.SUPPRESS_EXCEPTIONS);

	private static final int CONNECT_TIMEOUT_MS = 10_000;

	private static final int READ_TIMEOUT_MS = 60_000;

	private LocalHttp() {
	}

	/**
	 * GET a path and wait for the answer.
	 * @param port the server's port
	 * @param path the path, such as {@code /actuator/health}
	 * @return the answer
	 */
	public static Response get(int port, String path) {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), CONNECT_TIMEOUT_MS);
			socket.setSoTimeout(READ_TIMEOUT_MS);
			OutputStream out = socket.getOutputStream();
			out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost:" + port
					+ "\r\nAccept: */*\r\nConnection: close\r\n\r\n")
				.getBytes(StandardCharsets.US_ASCII));
			out.flush();
			return read(new BufferedInputStream(socket.getInputStream()));
		}
		catch (IOException ex) {
			throw new UncheckedIOException("GET " + path + " on port " + port + " failed", ex);
		}
	}

	/**
	 * Start a GET on a thread of its own without waiting for the answer.
	 * @param port the server's port
	 * @param path the path
	 * @return the answer to come
	 */
	public static CompletableFuture<Response> getAsync(int port, String path) {
		CompletableFuture<Response> response = new CompletableFuture<>();
		Thread thread = new Thread(() -> {
			try {
				response.complete(get(port, path));
			}
			catch (Throwable ex) {
				response.completeExceptionally(ex);
			}
		}, "local-http-" + path);
		thread.setDaemon(true);
		thread.start();
		return response;
	}

	private static Response read(InputStream in) throws IOException {
		String statusLine = line(in);
		String[] status = statusLine.split(" ", 3);
		if (status.length < 2 || !status[0].startsWith("HTTP/")) {
			throw new IOException("Not an HTTP status line: '" + statusLine + "'");
		}
		Map<String, String> headers = new LinkedHashMap<>();
		for (String header = line(in); !header.isEmpty(); header = line(in)) {
			int colon = header.indexOf(':');
			headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
		}
		byte[] body;
		if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
			body = chunked(in);
		}
		else if (headers.containsKey("content-length")) {
			body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
		}
		else {
			body = in.readAllBytes();
		}
		return new Response(Integer.parseInt(status[1]), headers, new String(body, StandardCharsets.UTF_8));
	}

	private static byte[] chunked(InputStream in) throws IOException {
		ByteArrayOutputStream body = new ByteArrayOutputStream();
		while (true) {
			String size = line(in);
			int semicolon = size.indexOf(';');
			int length = Integer.parseInt((semicolon >= 0) ? size.substring(0, semicolon) : size, 16);
			if (length == 0) {
				while (!line(in).isEmpty()) {
					// Trailers: not needed.
				}
				return body.toByteArray();
			}
			body.write(in.readNBytes(length));
			line(in);
		}
	}

	private static String line(InputStream in) throws IOException {
		ByteArrayOutputStream line = new ByteArrayOutputStream();
		int b;
		while ((b = in.read()) != '\n') {
			if (b == -1) {
				throw new IOException("Connection closed in the middle of a line: '" + line + "'");
			}
			if (b != '\r') {
				line.write(b);
			}
		}
		return line.toString(StandardCharsets.US_ASCII);
	}

	/**
	 * An HTTP answer.
	 *
	 * @param status the status code
	 * @param headers the headers, names in lower case
	 * @param body the body
	 */
	public record Response(int status, Map<String, String> headers, String body) {

		/**
		 * Read a value of the JSON body.
		 * @param <T> the type of the value
		 * @param path a JSON path such as {@code $.report.phases[*].name}
		 * @return the value, or {@code null} if there is none
		 */
		public <T> T json(String path) {
			return JsonPath.using(JSON).parse(this.body).read(path);
		}

	}

}
