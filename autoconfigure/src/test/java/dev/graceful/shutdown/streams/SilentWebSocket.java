package dev.graceful.shutdown.streams;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket client that reads every frame the server sends but never answers a close
 * frame: a client that has hung, or whose network has gone, at the moment the server ends
 * the session. Plain socket, so that no client library answers for it.
 */
final class SilentWebSocket implements AutoCloseable {

	private final Socket socket;

	private final CountDownLatch firstFrame = new CountDownLatch(1);

	private final CountDownLatch closeFrame = new CountDownLatch(1);

	private volatile int closeCode = -1;

	private SilentWebSocket(Socket socket) {
		this.socket = socket;
	}

	/**
	 * Open a WebSocket on 127.0.0.1 and start reading its frames.
	 * @param port the server's port
	 * @param path the WebSocket's path
	 * @return the client, its handshake done
	 * @throws IOException if the handshake failed
	 */
	static SilentWebSocket open(int port, String path) throws IOException {
		Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
		byte[] key = new byte[16];
		ThreadLocalRandom.current().nextBytes(key);
		OutputStream out = socket.getOutputStream();
		out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
				+ "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key)
				+ "\r\nSec-WebSocket-Version: 13\r\n\r\n")
			.getBytes(StandardCharsets.US_ASCII));
		out.flush();
		InputStream in = socket.getInputStream();
		String head = readHead(in);
		if (!head.startsWith("HTTP/1.1 101")) {
			socket.close();
			throw new IOException("WebSocket handshake refused: " + head);
		}
		SilentWebSocket webSocket = new SilentWebSocket(socket);
		Thread reader = new Thread(() -> webSocket.read(in), "silent-websocket-" + port);
		reader.setDaemon(true);
		reader.start();
		return webSocket;
	}

	private static String readHead(InputStream in) throws IOException {
		ByteArrayOutputStream head = new ByteArrayOutputStream();
		int matched = 0;
		while (matched < 4) {
			int b = in.read();
			if (b < 0) {
				throw new IOException("Connection closed during the handshake: " + head);
			}
			head.write(b);
			matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : ((b == '\r') ? 1 : 0);
		}
		return head.toString(StandardCharsets.US_ASCII);
	}

	private void read(InputStream in) {
		try {
			while (true) {
				int first = in.read();
				int second = in.read();
				if (first < 0 || second < 0) {
					return;
				}
				long length = second & 0x7f;
				if (length == 126) {
					length = (in.read() << 8) | in.read();
				}
				else if (length == 127) {
					length = 0;
					for (int i = 0; i < 8; i++) {
						length = (length << 8) | in.read();
					}
				}
				byte[] payload = in.readNBytes((int) length);
				this.firstFrame.countDown();
				if ((first & 0x0f) == 0x8) {
					this.closeCode = (payload.length >= 2) ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 0;
					this.closeFrame.countDown();
					// Not answered: the reader goes on until the server drops the connection.
				}
			}
		}
		catch (IOException ex) {
			// The server dropped the connection.
		}
	}

	/**
	 * Wait for the server's first frame.
	 * @param timeout how long to wait
	 * @return whether it came
	 * @throws InterruptedException if interrupted
	 */
	boolean awaitFirstFrame(Duration timeout) throws InterruptedException {
		return this.firstFrame.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
	}

	/**
	 * Wait for the server's close frame.
	 * @param timeout how long to wait
	 * @return its status code, or -1 if none came
	 * @throws InterruptedException if interrupted
	 */
	int awaitCloseFrame(Duration timeout) throws InterruptedException {
		this.closeFrame.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
		return this.closeCode;
	}

	@Override
	public void close() throws IOException {
		this.socket.close();
	}

}
