package dev.graceful.shutdown.web.reactive;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2StreamChannel;
import reactor.netty.Connection;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServer;

import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ServerWebExchange;

import dev.graceful.shutdown.web.RequestTracker;

/**
 * Counts the requests of a Reactor Netty server in and out on the channel itself, and
 * once the shutdown has started adds {@code Connection: close} to every HTTP/1.1 response,
 * whenever its request arrived: Reactor Netty then closes the connection after the
 * response, so keep-alive clients pinned to this instance reconnect through the load
 * balancer.
 * <p>
 * A request is counted in when Reactor Netty passes it to the application, and out when
 * its last response part (not an interim {@code 1xx} response) is written, or when its
 * connection or HTTP/2 stream closes first. Doing this on the channel rather than in a
 * {@link InFlightWebFilter} keeps the per-request cost to two {@code LongAdder} updates
 * and a few type checks: a {@code WebFilter} lengthens WebFlux's chain of Reactor
 * operators on every request. While this customizer is applied the filter is left out of
 * the application's filter chain; where it is still called (a filter chain built
 * elsewhere), it leaves the requests that this customizer counts alone.
 * <p>
 * One handler is added to each HTTP/1.1 connection, once, and stays for the connection's
 * life (Reactor Netty's {@code Connection.addHandlerLast} runs for every request of a
 * keep-alive connection, adding and removing the handler each time); one to each HTTP/2
 * stream.
 */
public final class NettyRequestTracking implements NettyServerCustomizer {

	/** Name of the channel handler. */
	public static final String HANDLER_NAME = "gracefulShutdownRequests";

	private final RequestTracker tracker;

	private final boolean connectionClose;

	private final String basePath;

	private volatile boolean applied;

	/**
	 * Create a new customizer.
	 * @param tracker the request tracker
	 * @param connectionClose whether HTTP/1.1 responses get {@code Connection: close} once
	 * the shutdown has started
	 * @param basePath {@code spring.webflux.base-path} (empty if not set), stripped from
	 * request paths before they are matched against the quiet period's ignored paths
	 */
	public NettyRequestTracking(RequestTracker tracker, boolean connectionClose, String basePath) {
		this.tracker = tracker;
		this.connectionClose = connectionClose;
		this.basePath = normalize(basePath);
	}

	private static String normalize(String basePath) {
		String path = basePath.strip();
		while (path.endsWith("/")) {
			path = path.substring(0, path.length() - 1);
		}
		return (path.isEmpty() || path.startsWith("/")) ? path : "/" + path;
	}

	@Override
	public HttpServer apply(HttpServer server) {
		this.applied = true;
		return server.doOnConnection(this::addHandler);
	}

	/**
	 * Whether a Reactor Netty server has been configured with this customizer: its
	 * requests are counted, and their responses handed off, on the channel.
	 * @return whether the customizer has been applied
	 */
	public boolean isApplied() {
		return this.applied;
	}

	/**
	 * Whether an exchange's request has been counted on its channel (it came through a
	 * server configured with this customizer), so that a filter must not count it again.
	 * @param exchange the exchange
	 * @return whether the request has been counted
	 */
	public boolean countsRequestOf(ServerWebExchange exchange) {
		return this.applied && ServerHttpRequestDecorator
			.getNativeRequest(exchange.getRequest()) instanceof Connection connection
				&& connection.channel().pipeline().context(HANDLER_NAME) != null;
	}

	/**
	 * Called for every request, when Reactor Netty has set up its operations and before it
	 * passes the request on: adds the handler to the channel (an HTTP/1.1 connection, or an
	 * HTTP/2 stream) the first time, and then finds it there.
	 */
	private void addHandler(Connection connection) {
		ChannelPipeline pipeline = connection.channel().pipeline();
		if (pipeline.context(HANDLER_NAME) == null) {
			// Before Reactor Netty's reactive bridge, which starts the application when the
			// request reaches it, and after its HTTP/1.1 traffic handler (or HTTP/2 stream
			// bridge), whose write decides from the response's headers whether the
			// connection stays open. HTTP/2 has no Connection header.
			boolean http1 = !(connection.channel() instanceof Http2StreamChannel);
			pipeline.addBefore(NettyPipeline.ReactiveBridge, HANDLER_NAME,
					new Handler(this.connectionClose && http1));
		}
	}

	/**
	 * Return a request's path within the application, for the quiet period: the URI
	 * without scheme, authority, query and {@code spring.webflux.base-path}.
	 * @param uri the request target, as received
	 * @return the path within the application
	 */
	String pathWithinApplication(String uri) {
		int start = 0;
		if (!uri.startsWith("/")) {
			// Absolute form: http://host:port/path
			int authority = uri.indexOf("://");
			int slash = (authority >= 0) ? uri.indexOf('/', authority + 3) : -1;
			start = (slash >= 0) ? slash : uri.length();
		}
		int end = uri.length();
		for (int i = start; i < end; i++) {
			char c = uri.charAt(i);
			if (c == '?' || c == '#') {
				end = i;
			}
		}
		String path = uri.substring(start, end);
		if (!this.basePath.isEmpty() && path.startsWith(this.basePath)
				&& (path.length() == this.basePath.length() || path.charAt(this.basePath.length()) == '/')) {
			path = path.substring(this.basePath.length());
		}
		return path.isEmpty() ? "/" : path;
	}

	/**
	 * The handler of one connection or stream. Netty calls it on the channel's event loop
	 * only, so its count of pending requests needs no synchronisation.
	 */
	private final class Handler extends ChannelDuplexHandler {

		private final boolean connectionClose;

		/** Requests counted in and not yet out. */
		private int pending;

		Handler(boolean connectionClose) {
			this.connectionClose = connectionClose;
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (msg instanceof HttpRequest request) {
				this.pending++;
				if (NettyRequestTracking.this.tracker.requestStarted()) {
					NettyRequestTracking.this.tracker.recordArrival(pathWithinApplication(request.uri()));
				}
			}
			ctx.fireChannelRead(msg);
		}

		@Override
		public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
			boolean interim = msg instanceof HttpResponse response && response.status().code() < 200;
			if (!interim) {
				if (this.connectionClose && msg instanceof HttpResponse response
						&& NettyRequestTracking.this.tracker.isShuttingDown()) {
					response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
				}
				if (msg instanceof LastHttpContent) {
					finishOne();
				}
			}
			// Counted out before the last bytes go out, as the request's handling ends: the
			// drain may end (and the server close the connection) once they have.
			ctx.write(msg, promise);
		}

		private void finishOne() {
			if (this.pending > 0) {
				this.pending--;
				NettyRequestTracking.this.tracker.requestFinished();
			}
		}

		@Override
		public void channelInactive(ChannelHandlerContext ctx) throws Exception {
			// The client went away, or the server closed the connection, before the response
			// was written: the request is over all the same.
			finishAll();
			super.channelInactive(ctx);
		}

		@Override
		public void handlerRemoved(ChannelHandlerContext ctx) {
			finishAll();
		}

		private void finishAll() {
			while (this.pending > 0) {
				finishOne();
			}
		}

	}

}
