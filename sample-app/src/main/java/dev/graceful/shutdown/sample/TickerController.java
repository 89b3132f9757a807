package dev.graceful.shutdown.sample;

import java.util.concurrent.ScheduledFuture;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * A resumable server-sent event ticker on Tomcat: {@code GET /ticker} streams
 * {@code id: n, data: tick n}, resuming after {@code Last-Event-ID}. At shutdown the
 * starter ends it with its last event, and {@code EventSource} reconnects elsewhere.
 */
@RestController
@ConditionalOnWebApplication(type = Type.SERVLET)
class TickerController {

	private final Ticks ticks;

	TickerController(Ticks ticks) {
		this.ticks = ticks;
	}

	@GetMapping(path = "/ticker", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
	SseEmitter ticker(@RequestHeader(name = "Last-Event-ID", required = false) @Nullable Long lastEventId) {
		SseEmitter emitter = new SseEmitter(0L);
		ScheduledFuture<?> schedule = this.ticks.start((lastEventId != null) ? lastEventId + 1 : 1, (n) -> {
			try {
				emitter.send(SseEmitter.event().id(Long.toString(n)).data(Ticks.tick(n)));
				return true;
			}
			catch (Exception ex) {
				return false;
			}
		});
		emitter.onCompletion(() -> schedule.cancel(false));
		emitter.onError((ex) -> schedule.cancel(false));
		return emitter;
	}

}
