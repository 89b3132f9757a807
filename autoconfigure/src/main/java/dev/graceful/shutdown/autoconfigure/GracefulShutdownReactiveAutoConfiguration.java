package dev.graceful.shutdown.autoconfigure;

import reactor.netty.http.server.HttpServer;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.server.WebFilter;

import dev.graceful.shutdown.web.RequestTracker;
import dev.graceful.shutdown.web.reactive.InFlightWebFilter;
import dev.graceful.shutdown.web.reactive.NettyConnectionClose;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for reactive (WebFlux) applications: the filter that counts
 * requests and hands keep-alive connections off once the shutdown has started.
 */
@AutoConfiguration(after = GracefulShutdownWebAutoConfiguration.class)
@ConditionalOnWebApplication(type = Type.REACTIVE)
@ConditionalOnClass(WebFilter.class)
@ConditionalOnBooleanProperty(name = "graceful.shutdown.enabled", matchIfMissing = true)
@ConditionalOnBean(RequestTracker.class)
public final class GracefulShutdownReactiveAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	InFlightWebFilter gracefulShutdownInFlightWebFilter(RequestTracker tracker, ShutdownPlan plan,
			ObjectProvider<NettyConnectionClose> nettyConnectionClose) {
		NettyConnectionClose netty = nettyConnectionClose.getIfAvailable();
		return new InFlightWebFilter(tracker, plan.connectionClose(), (netty != null) ? netty::isApplied : () -> false);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ HttpServer.class, NettyServerCustomizer.class })
	@ConditionalOnBooleanProperty(name = "graceful.shutdown.web.connection-close", matchIfMissing = true)
	static class NettyConnectionCloseConfiguration {

		@Bean
		NettyConnectionClose gracefulShutdownNettyConnectionClose(RequestTracker tracker) {
			return new NettyConnectionClose(tracker);
		}

	}

}
