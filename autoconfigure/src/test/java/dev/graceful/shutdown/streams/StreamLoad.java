package dev.graceful.shutdown.streams;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

import org.springframework.context.ConfigurableApplicationContext;

import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReports;
import dev.graceful.shutdown.testsupport.SseStream;
import dev.graceful.shutdown.testsupport.WebSocketStream;

/**
 * Open SSE streams and WebSockets against a running application, close the application
 * while they are open, and tell how each of them ended.
 */
final class StreamLoad implements AutoCloseable {

	static final Duration TIMEOUT = Duration.ofSeconds(60);

	private final HttpClient client = HttpClient.newHttpClient();

	private final List<SseStream> sse = new ArrayList<>();

	private final List<WebSocketStream> webSockets = new ArrayList<>();

	/**
	 * Open the streams and wait until every one has had its first event or message.
	 */
	StreamLoad open(int port, int sseCount, String ssePath, int webSocketCount, String webSocketPath)
			throws Exception {
		List<CompletableFuture<WebSocketStream>> opening = WebSocketStream.openAll(this.client, port, webSocketPath,
				webSocketCount);
		for (int i = 0; i < sseCount; i++) {
			this.sse.add(SseStream.open(port, ssePath, null));
		}
		for (CompletableFuture<WebSocketStream> future : opening) {
			this.webSockets.add(future.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
		}
		for (SseStream stream : this.sse) {
			if (!stream.awaitFirstEvent(TIMEOUT)) {
				throw new IllegalStateException("An SSE stream had no first event");
			}
		}
		for (WebSocketStream webSocket : this.webSockets) {
			if (!webSocket.awaitFirstMessage(TIMEOUT)) {
				throw new IllegalStateException("A WebSocket had no first message");
			}
		}
		return this;
	}

	/**
	 * Close the application (what SIGTERM does).
	 * @return the starter's report, or {@code null} without the starter
	 */
	static @Nullable ShutdownReport close(ConfigurableApplicationContext context) {
		if (context.getBeanProvider(ShutdownProgress.class).getIfAvailable() != null) {
			return ShutdownReports.close(context);
		}
		context.close();
		return null;
	}

	/**
	 * Close the application (what SIGTERM does) and wait for every stream to end.
	 */
	Outcome closeAndAwait(ConfigurableApplicationContext context) throws Exception {
		long start = System.nanoTime();
		ShutdownReport report = close(context);
		long closed = System.nanoTime();
		for (SseStream stream : this.sse) {
			stream.awaitEnd(TIMEOUT);
		}
		Map<Integer, Integer> codes = new TreeMap<>();
		for (WebSocketStream webSocket : this.webSockets) {
			codes.merge(Objects.requireNonNullElse(webSocket.awaitClose(TIMEOUT), -1), 1, Integer::sum);
		}
		List<String> anomalies = new ArrayList<>();
		int clean = 0;
		int withLastEvent = 0;
		long firstEnd = Long.MAX_VALUE;
		long lastEnd = Long.MIN_VALUE;
		for (SseStream stream : this.sse) {
			if (stream.endedCleanly()) {
				clean++;
			}
			List<SseStream.Event> events = stream.events();
			boolean lastEvent = !events.isEmpty() && "shutdown".equals(events.get(events.size() - 1).name());
			if (lastEvent) {
				withLastEvent++;
			}
			if (report != null && (!stream.endedCleanly() || !lastEvent)) {
				anomalies.add("SSE " + millis(stream.endNanos() - start) + " ms: " + stream.describeEnd());
			}
			firstEnd = Math.min(firstEnd, stream.endNanos());
			lastEnd = Math.max(lastEnd, stream.endNanos());
		}
		int goingAwayWithReason = 0;
		for (WebSocketStream webSocket : this.webSockets) {
			Integer code = webSocket.awaitClose(Duration.ZERO);
			if (code != null && code == 1001 && "server shutting down".equals(webSocket.reason())) {
				goingAwayWithReason++;
			}
			if (report != null && (code == null || code != 1001)) {
				anomalies.add("WebSocket " + millis(webSocket.endNanos() - start) + " ms: code " + code + ", "
						+ webSocket.messages().size() + " messages, error " + webSocket.error());
			}
			firstEnd = Math.min(firstEnd, webSocket.endNanos());
			lastEnd = Math.max(lastEnd, webSocket.endNanos());
		}
		return new Outcome(report, this.sse.size(), clean, withLastEvent, this.webSockets.size(), codes,
				goingAwayWithReason, millis(closed - start), millis(firstEnd - start), millis(lastEnd - start),
				List.copyOf(anomalies));
	}

	private static long millis(long nanos) {
		return TimeUnit.NANOSECONDS.toMillis(nanos);
	}

	List<SseStream> sse() {
		return this.sse;
	}

	@Override
	public void close() {
		this.sse.forEach(SseStream::close);
	}

	/**
	 * How the streams ended.
	 *
	 * @param report the shutdown report, {@code null} without the starter
	 * @param sse SSE streams open
	 * @param sseClean SSE streams that ended with the chunked terminator
	 * @param sseLastEvent SSE streams whose last event was the shutdown event
	 * @param webSockets WebSockets open
	 * @param closeCodes how many WebSockets closed with each code
	 * @param goingAway WebSockets closed with 1001 and the reason
	 * @param closeMs how long {@code close()} took
	 * @param firstEndMs from {@code close()} to the first stream's end
	 * @param lastEndMs from {@code close()} to the last stream's end
	 * @param anomalies with the starter, how each stream that did not end as handed off
	 * ended (empty without the starter)
	 */
	record Outcome(@Nullable ShutdownReport report, int sse, int sseClean, int sseLastEvent, int webSockets,
			Map<Integer, Integer> closeCodes, int goingAway, long closeMs, long firstEndMs, long lastEndMs,
			List<String> anomalies) {

		String summary() {
			return "close " + this.closeMs + " ms; SSE " + this.sse + " open, " + this.sseClean + " ended cleanly, "
					+ this.sseLastEvent + " with the last event; WebSockets " + this.webSockets + " open, close codes "
					+ this.closeCodes + "; streams ended " + this.firstEndMs + ".." + this.lastEndMs
					+ " ms after close()" + (this.anomalies.isEmpty() ? "" : "; not as handed off: " + this.anomalies)
					+ ((this.report != null) ? "; report " + this.report.phases() : "");
		}

	}

}
