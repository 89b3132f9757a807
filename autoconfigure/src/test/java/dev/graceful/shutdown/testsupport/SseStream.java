package dev.graceful.shutdown.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

/**
 * One server-sent event stream read on a plain socket of the loopback address, byte for
 * byte, on a thread of its own: the events it carried and how it ended, either cleanly
 * (the chunked body's terminating {@code 0\r\n\r\n}, then the connection closed) or cut
 * (the connection closed or reset in the middle of the body).
 */
public final class SseStream implements Closeable {

	private static final byte[] TERMINATOR = "\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

	private final Socket socket;

	private final ByteArrayOutputStream received = new ByteArrayOutputStream();

	private final CountDownLatch firstEvent = new CountDownLatch(1);

	private final CountDownLatch ended = new CountDownLatch(1);

	private volatile @Nullable IOException failure;

	private volatile long endNanos;

	private SseStream(Socket socket) {
		this.socket = socket;
	}

	/**
	 * Open a stream.
	 * @param port the server's port on the loopback address
	 * @param path the path of the stream
	 * @param lastEventId the {@code Last-Event-ID} to resume from, or {@code null}
	 * @return the stream, being read
	 * @throws IOException if the request cannot be sent
	 */
	public static SseStream open(int port, String path, @Nullable String lastEventId) throws IOException {
		Socket socket = new Socket();
		socket.connect(new InetSocketAddress(RawHttp.LOOPBACK, port), 10_000);
		socket.setSoTimeout((int) RawHttp.TIMEOUT.toMillis());
		String request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAccept: text/event-stream\r\n"
				+ ((lastEventId != null) ? "Last-Event-ID: " + lastEventId + "\r\n" : "") + "\r\n";
		OutputStream out = socket.getOutputStream();
		out.write(request.getBytes(StandardCharsets.US_ASCII));
		out.flush();
		SseStream stream = new SseStream(socket);
		Thread reader = new Thread(stream::read, "sse-client-" + socket.getLocalPort());
		reader.setDaemon(true);
		reader.start();
		return stream;
	}

	private void read() {
		byte[] buffer = new byte[8192];
		try (InputStream in = this.socket.getInputStream()) {
			int n;
			while ((n = in.read(buffer)) >= 0) {
				synchronized (this.received) {
					this.received.write(buffer, 0, n);
					if (this.firstEvent.getCount() > 0 && body().contains("\n\n")) {
						this.firstEvent.countDown();
					}
				}
				if (endsWithTerminator()) {
					// The response is over, as for EventSource: the connection may stay
					// open for the next request (keep-alive); this client is done with it.
					this.socket.close();
					break;
				}
			}
		}
		catch (IOException ex) {
			this.failure = ex;
		}
		finally {
			this.endNanos = System.nanoTime();
			this.ended.countDown();
		}
	}

	/**
	 * Wait for the first event.
	 * @param timeout how long at most
	 * @return whether it came
	 */
	public boolean awaitFirstEvent(Duration timeout) throws InterruptedException {
		return this.firstEvent.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
	}

	/**
	 * Wait for the stream to end, whichever way.
	 * @param timeout how long at most
	 * @return whether it ended
	 */
	public boolean awaitEnd(Duration timeout) throws InterruptedException {
		return this.ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
	}

	/**
	 * Return when the stream ended.
	 * @return the {@link System#nanoTime()} of its end, 0 if it has not
	 */
	public long endNanos() {
		return (this.ended.getCount() == 0) ? this.endNanos : 0;
	}

	/**
	 * Return whether the stream ended cleanly: with the body's terminating chunk (the
	 * client then closes the connection, which the server may keep alive), not by the end
	 * of the connection or an error.
	 * @return whether it ended cleanly
	 */
	public boolean endedCleanly() {
		if (this.ended.getCount() > 0 || this.failure != null) {
			return false;
		}
		return endsWithTerminator();
	}

	private boolean endsWithTerminator() {
		byte[] bytes = bytes();
		if (bytes.length < TERMINATOR.length) {
			return false;
		}
		for (int i = 0; i < TERMINATOR.length; i++) {
			if (bytes[bytes.length - TERMINATOR.length + i] != TERMINATOR[i]) {
				return false;
			}
		}
		return true;
	}

	/**
	 * Return how the stream ended, for a failure message.
	 * @return whether it ended, the client's error if any, and the last bytes received
	 */
	public String describeEnd() {
		byte[] bytes = bytes();
		String tail = new String(bytes, Math.max(0, bytes.length - 40), Math.min(40, bytes.length),
				StandardCharsets.UTF_8);
		return ((this.ended.getCount() > 0) ? "open" : "ended") + ", error " + this.failure + ", last bytes "
				+ tail.replace("\r", "\\r").replace("\n", "\\n");
	}

	/**
	 * Return the events received, in order.
	 * @return each event's fields
	 */
	public List<Event> events() {
		List<Event> events = new ArrayList<>();
		for (String block : body().split("\n\n")) {
			String id = null;
			String name = null;
			String retry = null;
			StringBuilder data = null;
			for (String line : block.split("\n")) {
				if (line.startsWith("id:")) {
					id = line.substring(3).strip();
				}
				else if (line.startsWith("event:")) {
					name = line.substring(6).strip();
				}
				else if (line.startsWith("retry:")) {
					retry = line.substring(6).strip();
				}
				else if (line.startsWith("data:")) {
					data = ((data != null) ? data.append('\n') : new StringBuilder()).append(line.substring(5).strip());
				}
			}
			if (data != null) {
				events.add(new Event(id, name, data.toString(), retry));
			}
		}
		return events;
	}

	/**
	 * Return the response body so far, de-chunked.
	 * @return the body
	 */
	public String body() {
		String raw = new String(bytes(), StandardCharsets.UTF_8);
		int start = raw.indexOf("\r\n\r\n");
		if (start < 0) {
			return "";
		}
		StringBuilder body = new StringBuilder();
		int at = start + 4;
		while (at < raw.length()) {
			int lineEnd = raw.indexOf("\r\n", at);
			if (lineEnd < 0) {
				break;
			}
			int size;
			try {
				size = Integer.parseInt(raw.substring(at, lineEnd).strip(), 16);
			}
			catch (NumberFormatException ex) {
				break;
			}
			int dataStart = lineEnd + 2;
			int dataEnd = Math.min(raw.length(), dataStart + size);
			body.append(raw, dataStart, dataEnd);
			if (size == 0) {
				break;
			}
			at = dataEnd + 2;
		}
		return body.toString().replace("\r\n", "\n");
	}

	private byte[] bytes() {
		synchronized (this.received) {
			return this.received.toByteArray();
		}
	}

	@Override
	public void close() {
		try {
			this.socket.close();
		}
		catch (IOException ex) {
			// closing anyway
		}
	}

	/**
	 * One event.
	 *
	 * @param id its {@code id:}, or {@code null}
	 * @param name its {@code event:}, or {@code null}
	 * @param data its {@code data:} lines
	 * @param retry its {@code retry:}, or {@code null}
	 */
	public record Event(@Nullable String id, @Nullable String name, String data, @Nullable String retry) {
	}

}
