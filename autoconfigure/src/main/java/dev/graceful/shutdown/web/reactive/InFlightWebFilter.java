package dev.graceful.shutdown.web.reactive;

import java.util.concurrent.atomic.AtomicBoolean;

import reactor.core.publisher.Mono;

import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import dev.graceful.shutdown.web.RequestTracker;

/**
 * Counts every request in and out (out when its handling completes, fails or is
 * cancelled) and, once the shutdown has started, adds {@code Connection: close} to every
 * response, including those of requests that arrived earlier but commit later, so that
 * keep-alive clients pinned to this instance reconnect through the load balancer.
 */
public final class InFlightWebFilter implements WebFilter, Ordered {

	private final RequestTracker tracker;

	private final boolean connectionClose;

	public InFlightWebFilter(RequestTracker tracker, boolean connectionClose) {
		this.tracker = tracker;
		this.connectionClose = connectionClose;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		boolean shuttingDown = this.tracker.requestStarted();
		if (shuttingDown) {
			this.tracker.recordArrival(exchange.getRequest().getPath().pathWithinApplication().value());
		}
		if (this.connectionClose) {
			ServerHttpResponse response = exchange.getResponse();
			if (shuttingDown) {
				response.getHeaders().set(HttpHeaders.CONNECTION, "close");
			}
			else {
				response.beforeCommit(() -> {
					if (this.tracker.isShuttingDown()) {
						response.getHeaders().set(HttpHeaders.CONNECTION, "close");
					}
					return Mono.empty();
				});
			}
		}
		// Counted out as the chain terminates, before Reactor Netty writes the last bytes and
		// may end its drain: doFinally would run after that and could count a request that
		// completed as aborted.
		Completion completion = new Completion(this.tracker);
		return chain.filter(exchange).doOnTerminate(completion).doOnCancel(completion);
	}

	/**
	 * Counts a request out once, whichever of termination and cancellation comes first.
	 */
	private static final class Completion extends AtomicBoolean implements Runnable {

		private final RequestTracker tracker;

		Completion(RequestTracker tracker) {
			this.tracker = tracker;
		}

		@Override
		public void run() {
			if (compareAndSet(false, true)) {
				this.tracker.requestFinished();
			}
		}

	}

	@Override
	public int getOrder() {
		// First in, last out: count the request around everything else, security included.
		return Ordered.HIGHEST_PRECEDENCE;
	}

}
