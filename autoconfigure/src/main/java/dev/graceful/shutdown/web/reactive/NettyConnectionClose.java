package dev.graceful.shutdown.web.reactive;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http2.Http2StreamChannel;
import reactor.netty.Connection;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServer;

import org.springframework.boot.reactor.netty.NettyServerCustomizer;

import dev.graceful.shutdown.web.RequestTracker;

/**
 * Adds {@code Connection: close} to every HTTP/1.1 response that Reactor Netty writes once
 * the shutdown has started, whenever its request arrived, on the channel itself: Reactor
 * Netty then closes the connection after the response. Doing it here rather than with a
 * {@code beforeCommit} action on each WebFlux response keeps the per-request cost to a
 * type check and a volatile read: a commit action sends every response through a chain
 * of Reactor operators.
 * <p>
 * The handler is added once per connection and stays for the connection's life. Reactor
 * Netty's {@code Connection.addHandlerLast} is not used: on a server it runs for every
 * request of a keep-alive connection, and each time it adds the handler to the pipeline,
 * subscribes to the request's termination and removes the handler again.
 */
public final class NettyConnectionClose implements NettyServerCustomizer {

	/** Name of the channel handler. */
	public static final String HANDLER_NAME = "gracefulShutdownConnectionClose";

	private final Handler handler;

	private volatile boolean applied;

	public NettyConnectionClose(RequestTracker tracker) {
		this.handler = new Handler(tracker);
	}

	@Override
	public HttpServer apply(HttpServer server) {
		this.applied = true;
		// Placed before Reactor Netty's reactive bridge, so that outbound responses reach it
		// before Reactor Netty's own keep-alive handling, which honours the header.
		return server.doOnConnection(this::addHandler);
	}

	/**
	 * Called for every request (Reactor Netty signals a configured connection for each):
	 * adds the handler to the channel the first time, and then finds it there.
	 */
	private void addHandler(Connection connection) {
		if (connection.channel() instanceof Http2StreamChannel) {
			// HTTP/2 has no Connection header: a stream's response never carries one.
			return;
		}
		ChannelPipeline pipeline = connection.channel().pipeline();
		if (pipeline.context(this.handler) == null) {
			// Reactor Netty puts its reactive bridge on every channel it initialises.
			pipeline.addBefore(NettyPipeline.ReactiveBridge, HANDLER_NAME, this.handler);
		}
	}

	/**
	 * Whether a Reactor Netty server has been configured with this customizer (and the
	 * responses of its requests need nothing more).
	 * @return whether the customizer has been applied
	 */
	public boolean isApplied() {
		return this.applied;
	}

	@ChannelHandler.Sharable
	private static final class Handler extends ChannelOutboundHandlerAdapter {

		private final RequestTracker tracker;

		Handler(RequestTracker tracker) {
			this.tracker = tracker;
		}

		@Override
		public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
			if (msg instanceof HttpResponse response && response.status().code() >= 200
					&& this.tracker.isShuttingDown()) {
				response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
			}
			ctx.write(msg, promise);
		}

	}

}
