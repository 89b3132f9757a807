package dev.graceful.shutdown.web.servlet;

import java.io.IOException;
import java.util.function.LongSupplier;

import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.web.RequestTracker;

/**
 * Counts every request in and out (including asynchronous ones, which end when their
 * {@link jakarta.servlet.AsyncContext} completes) and, once the shutdown has started,
 * adds {@code Connection: close} to every response so that keep-alive clients pinned to
 * this instance reconnect through the load balancer to a healthy one. A request that
 * arrived before the shutdown gets the header too if its response is committed after
 * the shutdown started (see {@link ConnectionClosingResponse}), asynchronous ones included
 * when their response is written through the response passed on here (Spring MVC's
 * asynchronous support does that; a {@code startAsync()} without arguments does not).
 * <p>
 * Where the servlet container keeps a {@link ContainerRequestCount count} of the requests
 * in flight in the filter's servlet context (Tomcat), the filter counts requests only once
 * the shutdown has started: the {@link RequestTracker} reads the number in flight off the
 * container's count, and a request before the shutdown costs one volatile read here plus
 * the response wrapper.
 */
public final class InFlightRequestFilter implements Filter {

	private final RequestTracker tracker;

	private final boolean connectionClose;

	private final @Nullable ContainerRequestCount containerCount;

	private volatile boolean countsFromShutdown;

	/**
	 * Create a filter that counts every request.
	 * @param tracker the request tracker
	 * @param connectionClose whether HTTP/1.1 responses get {@code Connection: close} once
	 * the shutdown has started
	 */
	public InFlightRequestFilter(RequestTracker tracker, boolean connectionClose) {
		this(tracker, connectionClose, null);
	}

	/**
	 * Create a filter that counts requests only once the shutdown has started if the
	 * container counts the requests of the servlet context the filter is initialized in.
	 * @param tracker the request tracker
	 * @param connectionClose whether HTTP/1.1 responses get {@code Connection: close} once
	 * the shutdown has started
	 * @param containerCount the container's count of requests in flight, or {@code null}
	 */
	public InFlightRequestFilter(RequestTracker tracker, boolean connectionClose,
			@Nullable ContainerRequestCount containerCount) {
		this.tracker = tracker;
		this.connectionClose = connectionClose;
		this.containerCount = containerCount;
	}

	@Override
	public void init(FilterConfig config) {
		LongSupplier inFlight = (this.containerCount != null)
				? this.containerCount.inFlight(config.getServletContext()) : null;
		if (inFlight != null) {
			this.tracker.countInFlightWith(inFlight);
			this.countsFromShutdown = true;
		}
	}

	/**
	 * Whether the filter counts requests only once the shutdown has started, the
	 * container counting those before.
	 * @return whether the container counts the requests before the shutdown
	 */
	public boolean countsFromShutdown() {
		return this.countsFromShutdown;
	}

	@Override
	public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
			throws IOException, ServletException {
		// The container counts this request from before the filter until after it: if the
		// shutdown has not started when checked here, it counts it when the drain reads.
		boolean counted = !this.countsFromShutdown || this.tracker.isShuttingDown();
		boolean shuttingDown = counted && this.tracker.requestStarted();
		if (shuttingDown) {
			this.tracker.recordArrival(path(request));
		}
		boolean async = false;
		try {
			if (!this.connectionClose || !(response instanceof HttpServletResponse http)) {
				chain.doFilter(request, response);
			}
			else if (shuttingDown) {
				if (isHttp1(request)) {
					http.setHeader("Connection", "close");
				}
				chain.doFilter(request, response);
			}
			else {
				// The shutdown may start while this request is processed: watch for the commit.
				ConnectionClosingResponse closing = new ConnectionClosingResponse(request, http, this.tracker);
				chain.doFilter(request, closing);
				if (!request.isAsyncStarted()) {
					closing.closeIfShuttingDown();
				}
			}
			if (counted && request.isAsyncStarted()) {
				request.getAsyncContext().addListener(new CompletionListener(this.tracker));
				async = true;
			}
		}
		finally {
			if (counted && !async) {
				this.tracker.requestFinished();
			}
		}
	}

	private static String path(ServletRequest request) {
		if (request instanceof HttpServletRequest http) {
			String uri = http.getRequestURI();
			String contextPath = http.getContextPath();
			return (!contextPath.isEmpty() && uri.startsWith(contextPath)) ? uri.substring(contextPath.length()) : uri;
		}
		return "";
	}

	/**
	 * Whether the request came over HTTP/1.x, where {@code Connection: close} applies.
	 * HTTP/2 forbids connection-specific headers; its connections end with GOAWAY.
	 */
	static boolean isHttp1(ServletRequest request) {
		return request.getProtocol().startsWith("HTTP/1");
	}

	private static final class CompletionListener implements AsyncListener {

		private final RequestTracker tracker;

		CompletionListener(RequestTracker tracker) {
			this.tracker = tracker;
		}

		@Override
		public void onComplete(AsyncEvent event) {
			this.tracker.requestFinished();
		}

		@Override
		public void onTimeout(AsyncEvent event) {
		}

		@Override
		public void onError(AsyncEvent event) {
		}

		@Override
		public void onStartAsync(AsyncEvent event) {
			// Async processing restarted from a dispatch: keep listening to the new context.
			event.getAsyncContext().addListener(this);
		}

	}

}
