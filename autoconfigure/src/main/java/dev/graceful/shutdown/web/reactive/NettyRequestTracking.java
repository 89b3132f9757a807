package dev.graceful.shutdown.web.reactive;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.netty.Connection;
import reactor.netty.ConnectionObserver;
import reactor.netty.NettyPipeline;
import reactor.netty.channel.ChannelOperations;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;

import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ServerWebExchange;

import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.RequestTracker;

/**
 * Counts the requests of a Reactor Netty server, and once the shutdown has started adds
 * {@code Connection: close} to every HTTP/1.1 response, whenever its request arrived:
 * Reactor Netty then closes the connection after the response, so keep-alive clients
 * pinned to this instance reconnect through the load balancer.
 * <p>
 * Until the shutdown starts nothing is added to an HTTP/1.1 connection's request path:
 * the connection is only remembered while it is open, and its request in flight, if any,
 * is the one Reactor Netty has bound to the channel, which {@link RequestTracker#inFlight()}
 * reads when asked. When the shutdown starts, each open connection is taken over on its
 * event loop: a handler is added to it, and the request in flight there is counted in and
 * counted out when Reactor Netty terminates it (what Reactor Netty's own drain waits
 * for). The handler counts each later request of the connection in when Reactor Netty
 * passes it to the application, and out when its last response part (not an interim
 * {@code 1xx} response) is written, or when the connection closes first; connections
 * opened after the start get the handler with their first request. HTTP/2 streams, each a
 * channel of its own, get the handler from the start. Just before Spring Boot's drain,
 * {@link #stopAccepting()} makes sure that the drain knows every connection accepted.
 * <p>
 * Doing this on the channel rather than in a {@link InFlightWebFilter} costs the requests
 * before the shutdown nothing: a {@code WebFilter} lengthens WebFlux's chain of Reactor
 * operators on every request. While this customizer is applied the filter is left out of
 * the application's filter chain; where it is still called (a filter chain built
 * elsewhere), it leaves the requests of this server alone.
 */
public final class NettyRequestTracking implements NettyServerCustomizer {

	/** Name of the channel handler. */
	public static final String HANDLER_NAME = "gracefulShutdownRequests";

	private static final Log logger = LogFactory.getLog(NettyRequestTracking.class);

	/** Set on a channel once it has the handler. */
	private static final AttributeKey<Boolean> COUNTED = AttributeKey.valueOf(NettyRequestTracking.class,
			"counted");

	/**
	 * Reactor Netty's {@code ReactorNetty.CONNECTION}, the same key (keys are unique by
	 * name): {@link ChannelOperations#get(Channel)} binds a connection to a channel that
	 * has none yet, which must not happen from another thread before Reactor Netty's own.
	 */
	private static final AttributeKey<Connection> REACTOR_CONNECTION = AttributeKey.valueOf("$CONNECTION");

	private static final Duration TAKE_OVER_TIMEOUT = Duration.ofSeconds(2);

	private final RequestTracker tracker;

	private final boolean connectionClose;

	private final String basePath;

	/** The server's open connections, HTTP/1.1 and HTTP/2. */
	private final Set<Channel> connections = ConcurrentHashMap.newKeySet();

	/** The servers' open listening channels. */
	private final Set<Channel> listeners = ConcurrentHashMap.newKeySet();

	private final ChannelFutureListener forget = (future) -> {
		this.connections.remove(future.channel());
		this.listeners.remove(future.channel());
	};

	/** The event loops of the connections, once one has opened. */
	private volatile @Nullable EventLoopGroup connectionLoops;

	private volatile boolean applied;

	/**
	 * Create a new customizer.
	 * @param progress the shutdown progress, whose start takes the open connections over
	 * @param tracker the request tracker
	 * @param connectionClose whether HTTP/1.1 responses get {@code Connection: close} once
	 * the shutdown has started
	 * @param basePath {@code spring.webflux.base-path} (empty if not set), stripped from
	 * request paths before they are matched against the quiet period's ignored paths
	 */
	public NettyRequestTracking(ShutdownRecorder progress, RequestTracker tracker, boolean connectionClose,
			String basePath) {
		this.tracker = tracker;
		this.connectionClose = connectionClose;
		this.basePath = normalize(basePath);
		tracker.countUncountedWith(this::uncounted);
		progress.onBegin(this::takeOverConnections);
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
		return server.doOnBound((bound) -> remember(this.listeners, bound.channel()))
			.doOnChannelInit(this::connectionOpened)
			.doOnConnection(this::requestConfigured);
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
	 * Whether an exchange's request is counted on its channel (it came through a server
	 * configured with this customizer), so that a filter must not count it again.
	 * @param exchange the exchange
	 * @return whether the request is counted
	 */
	public boolean countsRequestOf(ServerWebExchange exchange) {
		if (this.applied && ServerHttpRequestDecorator
			.getNativeRequest(exchange.getRequest()) instanceof Connection connection) {
			Channel channel = connection.channel();
			return channel.hasAttr(COUNTED) || this.connections.contains(channel);
		}
		return false;
	}

	/**
	 * Called once for each connection, on its event loop, as it is set up.
	 */
	private void connectionOpened(ConnectionObserver observer, Channel channel, @Nullable SocketAddress remote) {
		remember(this.connections, channel);
		if (this.connectionLoops == null) {
			this.connectionLoops = channel.eventLoop().parent();
		}
	}

	private void remember(Set<Channel> channels, Channel channel) {
		if (channels.add(channel)) {
			channel.closeFuture().addListener(this.forget);
		}
	}

	/**
	 * Stop accepting connections, just before Spring Boot's drain: stop reading the servers'
	 * listening channels, then wait until every event loop has run what was queued on it,
	 * the registration of the connections accepted last included.
	 * <p>
	 * Reactor Netty's drain ({@code disposeNow}) asks for the listening channel's close
	 * and, without waiting for it, looks at the connections it knows. A connection accepted
	 * in between is registered on its event loop only later: the drain neither waits for
	 * nor closes it, and its client waits for a response until the process exits. Once the
	 * listening channel accepts no more and the registrations have run, the drain knows
	 * every connection there will be. The channel stays open, for Reactor Netty to close
	 * (closing it here would make the drain see the server as disposed, and not wait).
	 */
	public void stopAccepting() {
		long deadline = System.nanoTime() + TAKE_OVER_TIMEOUT.toNanos();
		Set<EventExecutorGroup> loops = new HashSet<>();
		List<@Nullable Future<?>> queued = new ArrayList<>();
		for (Channel listener : this.listeners) {
			loops.add(listener.eventLoop().parent());
			queued.add(submit(listener.eventLoop(), () -> listener.config().setAutoRead(false)));
		}
		await(queued, deadline);
		EventLoopGroup connectionLoops = this.connectionLoops;
		if (connectionLoops != null) {
			loops.add(connectionLoops);
		}
		queued.clear();
		for (EventExecutorGroup group : loops) {
			for (EventExecutor loop : group) {
				queued.add(submit(loop, () -> {
				}));
			}
		}
		int pending = await(queued, deadline);
		if (pending > 0) {
			logger.warn("Graceful shutdown: " + pending + " event loop(s) still busy after "
					+ TAKE_OVER_TIMEOUT.toMillis() + " ms; connections they have yet to register may be left "
					+ "out of the drain");
		}
	}

	private static @Nullable Future<?> submit(EventExecutor loop, Runnable task) {
		try {
			return loop.submit(task);
		}
		catch (RejectedExecutionException ex) {
			// Shut down, and its channels with it.
			return null;
		}
	}

	private static int await(List<@Nullable Future<?>> tasks, long deadline) {
		int pending = 0;
		for (Future<?> task : tasks) {
			if (task != null && !task.awaitUninterruptibly(remainingNanos(deadline), TimeUnit.NANOSECONDS)) {
				pending++;
			}
		}
		return pending;
	}

	private static long remainingNanos(long deadline) {
		return Math.max(0, deadline - System.nanoTime());
	}

	/**
	 * Called for every request, on the event loop, when Reactor Netty has set up its
	 * operations and before it passes the request on: adds the handler to an HTTP/2 stream,
	 * and to an HTTP/1.1 connection that does not have it yet once the shutdown has started.
	 */
	private void requestConfigured(Connection connection) {
		Channel channel = connection.channel();
		if (channel instanceof Http2StreamChannel) {
			// HTTP/2 has no Connection header.
			addHandler(channel, false);
		}
		else if (this.tracker.isShuttingDown() && !channel.hasAttr(COUNTED)) {
			addHandler(channel, this.connectionClose);
		}
	}

	private void addHandler(Channel channel, boolean connectionClose) {
		// Before Reactor Netty's reactive bridge, which starts the application when the
		// request reaches it, and after its HTTP/1.1 traffic handler (or HTTP/2 stream
		// bridge), whose write decides from the response's headers whether the connection
		// stays open.
		channel.pipeline().addBefore(NettyPipeline.ReactiveBridge, HANDLER_NAME, new Handler(connectionClose));
		channel.attr(COUNTED).set(Boolean.TRUE);
	}

	/**
	 * Take every open HTTP/1.1 connection over, each on its event loop, and wait (briefly)
	 * until they all are: from then on every response closes its connection. A connection
	 * not yet taken over still has its request in flight counted by {@link #uncounted()}.
	 */
	private void takeOverConnections() {
		List<Future<?>> takeOvers = new ArrayList<>();
		for (Channel channel : this.connections) {
			try {
				takeOvers.add(channel.eventLoop().submit(() -> takeOver(channel)));
			}
			catch (RejectedExecutionException ex) {
				// Its event loop has shut down, and the connection with it.
			}
		}
		long deadline = System.nanoTime() + TAKE_OVER_TIMEOUT.toNanos();
		int pending = 0;
		for (Future<?> takeOver : takeOvers) {
			if (!takeOver.awaitUninterruptibly(remainingNanos(deadline), TimeUnit.NANOSECONDS)) {
				pending++;
			}
			else if (!takeOver.isSuccess()) {
				logger.warn("Graceful shutdown: could not take a connection over", takeOver.cause());
			}
		}
		if (pending > 0) {
			logger.warn("Graceful shutdown: " + pending + " connection(s) not taken over within "
					+ TAKE_OVER_TIMEOUT.toMillis() + " ms (busy event loop); their responses may keep the "
					+ "connection open");
		}
	}

	/**
	 * Take one HTTP/1.1 connection over, on its event loop: count its request in flight
	 * (if any) until Reactor Netty terminates it, and add the handler for what follows.
	 */
	private void takeOver(Channel channel) {
		ChannelPipeline pipeline = channel.pipeline();
		if (channel.hasAttr(COUNTED) || pipeline.context(NettyPipeline.HttpTrafficHandler) == null
				|| pipeline.context(NettyPipeline.ReactiveBridge) == null) {
			// Already taken over by its latest request, closed, or an HTTP/2 connection,
			// whose streams have the handler.
			return;
		}
		ChannelOperations<?, ?> operations = requestInFlight(channel);
		if (operations != null) {
			// Counted in before the handler is added: until then uncounted() counts it too,
			// so it is never missing from the number in flight.
			this.tracker.requestStarted();
			operations.onTerminate()
				.subscribe(null, (ex) -> this.tracker.requestFinished(), this.tracker::requestFinished);
		}
		addHandler(channel, this.connectionClose);
	}

	/**
	 * Return the requests in flight on HTTP/1.1 connections that have not been taken over.
	 */
	private long uncounted() {
		long uncounted = 0;
		for (Channel channel : this.connections) {
			if (!channel.hasAttr(COUNTED) && requestInFlight(channel) != null) {
				uncounted++;
			}
		}
		return uncounted;
	}

	/**
	 * Return the operations of the HTTP request that Reactor Netty has bound to an HTTP/1.1
	 * connection, from its arrival until its response has been sent (or the connection has
	 * closed), or {@code null}.
	 */
	private static @Nullable ChannelOperations<?, ?> requestInFlight(Channel channel) {
		if (!channel.hasAttr(REACTOR_CONNECTION)) {
			return null;
		}
		ChannelOperations<?, ?> operations = ChannelOperations.get(channel);
		return (operations instanceof HttpServerRequest) ? operations : null;
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
