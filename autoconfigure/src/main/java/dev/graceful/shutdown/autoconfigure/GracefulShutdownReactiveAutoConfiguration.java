package dev.graceful.shutdown.autoconfigure;

import reactor.netty.http.server.HttpServer;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.boot.webflux.autoconfigure.WebFluxProperties;
import org.springframework.boot.webflux.autoconfigure.WebHttpHandlerBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.server.WebFilter;

import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.RequestTracker;
import dev.graceful.shutdown.web.reactive.InFlightWebFilter;
import dev.graceful.shutdown.web.reactive.NettyRequestTracking;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for reactive (WebFlux) applications: request counting and the
 * keep-alive hand-off once the shutdown has started, on the channel for Reactor Netty and
 * with a filter for other servers.
 */
@AutoConfiguration(after = GracefulShutdownWebAutoConfiguration.class)
@ConditionalOnWebApplication(type = Type.REACTIVE)
@ConditionalOnClass({ WebFilter.class, WebServerApplicationContext.class })
@ConditionalOnGracefulShutdownEnabled
public final class GracefulShutdownReactiveAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	InFlightWebFilter gracefulShutdownInFlightWebFilter(RequestTracker tracker, GracefulShutdownProperties properties,
			ObjectProvider<NettyRequestTracking> nettyRequestTracking) {
		NettyRequestTracking netty = nettyRequestTracking.getIfAvailable();
		return new InFlightWebFilter(tracker, properties.getWeb().isConnectionClose(),
				(netty != null) ? netty::countsRequestOf : (exchange) -> false);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ HttpServer.class, NettyServerCustomizer.class, WebFluxProperties.class })
	static class NettyRequestTrackingConfiguration {

		@Bean
		NettyRequestTracking gracefulShutdownNettyRequestTracking(ShutdownRecorder progress, RequestTracker tracker,
				GracefulShutdownProperties properties, ObjectProvider<WebFluxProperties> webFlux) {
			WebFluxProperties webFluxProperties = webFlux.getIfAvailable();
			String basePath = (webFluxProperties != null) ? webFluxProperties.getBasePath() : null;
			return new NettyRequestTracking(progress, tracker, properties.getWeb().isConnectionClose(),
					(basePath != null) ? basePath : "");
		}

		@Configuration(proxyBeanMethods = false)
		@ConditionalOnClass(WebHttpHandlerBuilderCustomizer.class)
		static class FilterChainConfiguration {

			/**
			 * Leaves the filter out of the application's filter chain when Reactor Netty
			 * counts the requests on its channels: a filter costs every request a longer
			 * chain of Reactor operators, even one that only passes the request on. The
			 * server is configured (in {@code onRefresh}) before the {@code HttpHandler} is
			 * built.
			 */
			@Bean
			WebHttpHandlerBuilderCustomizer gracefulShutdownFilterChainCustomizer(NettyRequestTracking netty) {
				return (builder) -> {
					if (netty.isApplied()) {
						builder.filters((filters) -> filters.removeIf(InFlightWebFilter.class::isInstance));
					}
				};
			}

		}

	}

}
