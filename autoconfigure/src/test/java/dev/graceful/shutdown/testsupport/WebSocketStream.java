package dev.graceful.shutdown.testsupport;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;

/**
 * One WebSocket to the loopback address ({@link java.net.http.WebSocket}, which answers a
 * close frame with its own): the text messages it received and how it was closed. A
 * connection that ends without a close frame counts as {@value #ABNORMAL} (abnormal
 * closure, as browsers report it).
 */
public final class WebSocketStream {

	/** Close code of a connection that ended without a close frame. */
	public static final int ABNORMAL = 1006;

	/**
	 * Opening handshakes {@link #openAll} keeps in flight at most: a thousand at once
	 * overflow the server's accept backlog (Jetty's is 50 by default), and the kernel's
	 * retransmission back-off then delays some handshakes by many seconds.
	 */
	private static final int HANDSHAKES_IN_FLIGHT = 32;

	private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);

	private final List<String> messages = new CopyOnWriteArrayList<>();

	private final List<Long> messageNanos = new CopyOnWriteArrayList<>();

	private final CompletableFuture<String> firstMessage = new CompletableFuture<>();

	private final CompletableFuture<Integer> closeCode = new CompletableFuture<>();

	private volatile @Nullable String reason;

	private volatile @Nullable Throwable error;

	private volatile @Nullable WebSocket webSocket;

	private volatile long endNanos;

	private WebSocketStream() {
	}

	/**
	 * Open a WebSocket.
	 * @param client the client to open it with
	 * @param port the server's port on the loopback address
	 * @param path the WebSocket's path
	 * @return the WebSocket, once open
	 */
	public static WebSocketStream open(HttpClient client, int port, String path) throws Exception {
		return openAsync(client, port, path).get(60, TimeUnit.SECONDS);
	}

	/**
	 * Open a WebSocket, asynchronously.
	 * @param client the client to open it with
	 * @param port the server's port on the loopback address
	 * @param path the WebSocket's path
	 * @return the WebSocket, when open
	 */
	public static CompletableFuture<WebSocketStream> openAsync(HttpClient client, int port, String path) {
		WebSocketStream stream = new WebSocketStream();
		return client.newWebSocketBuilder()
			.connectTimeout(HANDSHAKE_TIMEOUT)
			.buildAsync(URI.create("ws://127.0.0.1:" + port + path), stream.new Listener())
			.thenApply((webSocket) -> stream);
	}

	/**
	 * Open many WebSockets to the same path, {@value #HANDSHAKES_IN_FLIGHT} opening
	 * handshakes at a time.
	 * @param client the client to open them with
	 * @param port the server's port on the loopback address
	 * @param path the WebSockets' path
	 * @param count how many
	 * @return the WebSockets, each when open
	 */
	public static List<CompletableFuture<WebSocketStream>> openAll(HttpClient client, int port, String path,
			int count) {
		List<CompletableFuture<WebSocketStream>> opening = new ArrayList<>(count);
		for (int i = 0; i < count; i++) {
			opening.add(new CompletableFuture<>());
		}
		AtomicInteger next = new AtomicInteger();
		for (int i = 0; i < Math.min(HANDSHAKES_IN_FLIGHT, count); i++) {
			openNext(client, port, path, opening, next);
		}
		return opening;
	}

	private static void openNext(HttpClient client, int port, String path,
			List<CompletableFuture<WebSocketStream>> opening, AtomicInteger next) {
		int index = next.getAndIncrement();
		if (index < opening.size()) {
			openAsync(client, port, path).whenComplete((stream, ex) -> {
				if (ex != null) {
					opening.get(index).completeExceptionally(ex);
				}
				else {
					opening.get(index).complete(stream);
				}
				openNext(client, port, path, opening, next);
			});
		}
	}

	/**
	 * Wait for the first message.
	 * @param timeout how long at most
	 * @return whether it came
	 */
	public boolean awaitFirstMessage(Duration timeout) {
		try {
			this.firstMessage.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
			return true;
		}
		catch (Exception ex) {
			return false;
		}
	}

	/**
	 * Wait for the WebSocket to close, whichever way.
	 * @param timeout how long at most
	 * @return its close code, {@value #ABNORMAL} without a close frame, or {@code null}
	 * if still open
	 */
	public @Nullable Integer awaitClose(Duration timeout) {
		try {
			return this.closeCode.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (Exception ex) {
			return null;
		}
	}

	/**
	 * Return the reason of the close frame.
	 * @return the reason, or {@code null} without a close frame
	 */
	public @Nullable String reason() {
		return this.reason;
	}

	/**
	 * Return why the WebSocket ended without a close frame.
	 * @return the client's error, or {@code null}
	 */
	public @Nullable Throwable error() {
		return this.error;
	}

	/**
	 * Return when the WebSocket closed.
	 * @return the {@link System#nanoTime()} of its close, 0 if still open
	 */
	public long endNanos() {
		return this.closeCode.isDone() ? this.endNanos : 0;
	}

	/**
	 * Return the text messages received, in order.
	 * @return the messages
	 */
	public List<String> messages() {
		return List.copyOf(this.messages);
	}

	/**
	 * Return when each text message was received, in order.
	 * @return the {@link System#nanoTime()} of each message
	 */
	public List<Long> messageNanos() {
		return List.copyOf(this.messageNanos);
	}

	/**
	 * Send a text message.
	 * @param text the message
	 * @throws Exception if it could not be sent
	 */
	public void send(String text) throws Exception {
		WebSocket webSocket = this.webSocket;
		if (webSocket == null) {
			throw new IllegalStateException("Not open");
		}
		webSocket.sendText(text, true).get(10, TimeUnit.SECONDS);
	}

	/**
	 * Close the WebSocket from the client's side (1000 Normal Closure).
	 */
	public void close() {
		WebSocket webSocket = this.webSocket;
		if (webSocket != null) {
			webSocket.sendClose(WebSocket.NORMAL_CLOSURE, "client done");
		}
	}

	private final class Listener implements WebSocket.Listener {

		private final StringBuilder partial = new StringBuilder();

		@Override
		public void onOpen(WebSocket webSocket) {
			WebSocketStream.this.webSocket = webSocket;
			webSocket.request(1);
		}

		@Override
		public @Nullable CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
			this.partial.append(data);
			if (last) {
				String message = this.partial.toString();
				this.partial.setLength(0);
				WebSocketStream.this.messageNanos.add(System.nanoTime());
				WebSocketStream.this.messages.add(message);
				WebSocketStream.this.firstMessage.complete(message);
			}
			webSocket.request(1);
			return null;
		}

		@Override
		public @Nullable CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
			WebSocketStream.this.reason = reason;
			WebSocketStream.this.endNanos = System.nanoTime();
			WebSocketStream.this.closeCode.complete(statusCode);
			return null;
		}

		@Override
		public void onError(WebSocket webSocket, Throwable error) {
			WebSocketStream.this.error = error;
			WebSocketStream.this.endNanos = System.nanoTime();
			WebSocketStream.this.closeCode.complete(ABNORMAL);
		}

	}

}
