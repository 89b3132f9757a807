package dev.graceful.shutdown.web.reactive;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoOperator;
import reactor.util.context.Context;

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
 * keep-alive clients pinned to this instance reconnect through the load balancer. For
 * reactive servers other than Reactor Netty: on Reactor Netty {@link NettyRequestTracking}
 * does both on the channel, which costs less, and this filter is left out of the
 * application's filter chain. Where it is still called, by a filter chain built elsewhere
 * (such as that of a separate management server, which Spring Boot does not configure
 * with the application's Netty customizers), it counts only the requests that no channel
 * has counted.
 */
public final class InFlightWebFilter implements WebFilter, Ordered {

	private final RequestTracker tracker;

	private final boolean connectionClose;

	private final Predicate<ServerWebExchange> countedByServer;

	/**
	 * Create a new filter.
	 * @param tracker the request tracker
	 * @param connectionClose whether responses get {@code Connection: close} once the
	 * shutdown has started
	 */
	public InFlightWebFilter(RequestTracker tracker, boolean connectionClose) {
		this(tracker, connectionClose, (exchange) -> false);
	}

	/**
	 * Create a new filter.
	 * @param tracker the request tracker
	 * @param connectionClose whether responses get {@code Connection: close} once the
	 * shutdown has started
	 * @param countedByServer whether the server has counted a request, and hands its
	 * connection off, by itself (see {@link NettyRequestTracking#countsRequestOf}), in
	 * which case the filter passes it on and does nothing else
	 */
	public InFlightWebFilter(RequestTracker tracker, boolean connectionClose,
			Predicate<ServerWebExchange> countedByServer) {
		this.tracker = tracker;
		this.connectionClose = connectionClose;
		this.countedByServer = countedByServer;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		if (this.countedByServer.test(exchange)) {
			return chain.filter(exchange);
		}
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
		return new Counted(chain.filter(exchange), this.tracker);
	}

	/**
	 * Counts a request out once, whichever of completion, error and cancellation comes
	 * first: one operator rather than two peek operators, each with its own subscriber.
	 */
	private static final class Counted extends MonoOperator<Void, Void> {

		private final RequestTracker tracker;

		Counted(Mono<Void> source, RequestTracker tracker) {
			super(source);
			this.tracker = tracker;
		}

		@Override
		public void subscribe(CoreSubscriber<? super Void> actual) {
			this.source.subscribe(new CountingSubscriber(actual, this.tracker));
		}

	}

	private static final class CountingSubscriber extends AtomicBoolean implements CoreSubscriber<Void>, Subscription {

		private final CoreSubscriber<? super Void> actual;

		private final RequestTracker tracker;

		private @Nullable Subscription subscription;

		CountingSubscriber(CoreSubscriber<? super Void> actual, RequestTracker tracker) {
			this.actual = actual;
			this.tracker = tracker;
		}

		@Override
		public Context currentContext() {
			return this.actual.currentContext();
		}

		@Override
		public void onSubscribe(Subscription subscription) {
			this.subscription = subscription;
			this.actual.onSubscribe(this);
		}

		@Override
		public void onNext(Void value) {
			this.actual.onNext(value);
		}

		@Override
		public void onError(Throwable error) {
			finished();
			this.actual.onError(error);
		}

		@Override
		public void onComplete() {
			finished();
			this.actual.onComplete();
		}

		@Override
		public void request(long n) {
			Subscription subscription = this.subscription;
			if (subscription != null) {
				subscription.request(n);
			}
		}

		@Override
		public void cancel() {
			finished();
			Subscription subscription = this.subscription;
			if (subscription != null) {
				subscription.cancel();
			}
		}

		private void finished() {
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
