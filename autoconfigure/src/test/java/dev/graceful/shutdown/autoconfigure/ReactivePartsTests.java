package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServer;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jetty.reactive.JettyReactiveWebServerFactory;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.tomcat.reactive.TomcatReactiveWebServerFactory;
import org.springframework.boot.web.server.reactive.ReactiveWebServerFactory;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.webflux.autoconfigure.WebHttpHandlerBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.adapter.WebHttpHandlerBuilder;

import dev.graceful.shutdown.delay.LameDuckDelay;
import dev.graceful.shutdown.timeline.ShutdownBudget;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.DrainMonitor;
import dev.graceful.shutdown.web.RequestTracker;
import dev.graceful.shutdown.web.reactive.InFlightWebFilter;
import dev.graceful.shutdown.web.reactive.NettyRequestTracking;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the reactive parts that {@link GracefulShutdownAutoConfiguration} registers in
 * a servlet or reactive application (see {@link ReactivePartsRegistrar}).
 */
class ReactivePartsTests {

	private static final AutoConfigurations AUTO_CONFIGURATIONS = AutoConfigurations.of(
			GracefulShutdownAutoConfiguration.class);

	private static final String WEB_FILTER_BEAN = "gracefulShutdownInFlightWebFilter";

	private static final String SERVLET_FILTER_BEAN = "gracefulShutdownInFlightRequestFilter";

	private final ReactiveWebApplicationContextRunner contextRunner = new ReactiveWebApplicationContextRunner()
		.withConfiguration(AUTO_CONFIGURATIONS);

	@Test
	void inFlightWebFilterRunsFirstByDefault() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(InFlightWebFilter.class).hasBean(WEB_FILTER_BEAN);
			assertThat(context.getBean(InFlightWebFilter.class).getOrder()).isEqualTo(Ordered.HIGHEST_PRECEDENCE);
		});
	}

	@Test
	void partsAreSingletonsWithoutBeanDefinitions() {
		this.contextRunner.run((context) -> {
			ConfigurableListableBeanFactory beanFactory = context.getBeanFactory();
			RegisteredParts.assertSingletonsWithoutDefinitions(beanFactory, WEB_FILTER_BEAN,
					"gracefulShutdownNettyRequestTracking", "gracefulShutdownFilterChainCustomizer");
			// The registrar's own definition, and the stream parts that are created when first
			// asked (see StreamPartsTests).
			RegisteredParts.assertDefinitions(beanFactory, "gracefulShutdown", "gracefulShutdownCore",
					"gracefulShutdownStreamSettings", "gracefulShutdownStreamMeters");
		});
	}

	@Test
	void reactorNettyCountsRequestsOnItsChannelsWithOrWithoutConnectionClose() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(NettyRequestTracking.class)
			.hasBean("gracefulShutdownFilterChainCustomizer"));
		this.contextRunner.withPropertyValues("graceful.shutdown.web.connection-close=false")
			.run((context) -> assertThat(context).hasSingleBean(NettyRequestTracking.class));
	}

	@Test
	void filterIsLeftOutOfTheFilterChainOnceReactorNettyHasBeenConfigured() {
		this.contextRunner.run((context) -> {
			WebHttpHandlerBuilderCustomizer customizer = context.getBean("gracefulShutdownFilterChainCustomizer",
					WebHttpHandlerBuilderCustomizer.class);
			WebFilter other = (exchange, chain) -> chain.filter(exchange);
			assertThat(filtersAfter(customizer, context.getBean(InFlightWebFilter.class), other))
				.containsExactly(context.getBean(InFlightWebFilter.class), other);
			context.getBean(NettyRequestTracking.class).apply(HttpServer.create());
			assertThat(filtersAfter(customizer, context.getBean(InFlightWebFilter.class), other))
				.containsExactly(other);
		});
	}

	private static List<WebFilter> filtersAfter(WebHttpHandlerBuilderCustomizer customizer, WebFilter... filters) {
		WebHttpHandlerBuilder builder = WebHttpHandlerBuilder.webHandler((exchange) -> Mono.empty())
			.filters((list) -> list.addAll(List.of(filters)));
		customizer.customize(builder);
		List<WebFilter> result = new ArrayList<>();
		builder.filters(result::addAll);
		return result;
	}

	@Test
	void withoutReactorNettyTheFilterCountsRequests() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(HttpServer.class))
			.run((context) -> assertThat(context).hasSingleBean(InFlightWebFilter.class)
				.doesNotHaveBean(NettyRequestTracking.class)
				.doesNotHaveBean(WebHttpHandlerBuilderCustomizer.class));
	}

	@Test
	void onTomcatOrJettyWithReactorNettyOnTheClassPathTheFilterAloneCountsRequests() {
		assertCountedOnTheChannels(this.contextRunner.withBean(TomcatReactiveWebServerFactory.class,
				() -> new TomcatReactiveWebServerFactory(0)), false);
		assertCountedOnTheChannels(this.contextRunner.withBean(JettyReactiveWebServerFactory.class,
				() -> new JettyReactiveWebServerFactory(0)), false);
	}

	@Test
	void onReactorNettyOrAServerFactoryOfUnknownTypeRequestsAreCountedOnTheChannels() {
		assertCountedOnTheChannels(this.contextRunner.withBean(NettyReactiveWebServerFactory.class,
				() -> new NettyReactiveWebServerFactory(0)), true);
		// Declared as the interface: the type of the factory is not known before it exists.
		assertCountedOnTheChannels(this.contextRunner.withBean(ReactiveWebServerFactory.class,
				() -> new NettyReactiveWebServerFactory(0)), true);
	}

	private static void assertCountedOnTheChannels(ReactiveWebApplicationContextRunner contextRunner,
			boolean counted) {
		contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(InFlightWebFilter.class);
			assertThat(context.getBeansOfType(NettyRequestTracking.class)).hasSize(counted ? 1 : 0);
			assertThat(context.getBeansOfType(WebHttpHandlerBuilderCustomizer.class)).hasSize(counted ? 1 : 0);
		});
	}

	@Test
	void nothingIsConfiguredWhenDisabled() {
		this.contextRunner.withPropertyValues("graceful.shutdown.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(InFlightWebFilter.class)
				.doesNotHaveBean(RequestTracker.class)
				.doesNotHaveBean(DrainMonitor.class)
				.doesNotHaveBean(ShutdownRecorder.class));
	}

	@Test
	void backsOffToUserDefinedInFlightWebFilter() {
		this.contextRunner.withUserConfiguration(CustomInFlightWebFilterConfiguration.class)
			.run((context) -> assertThat(context).hasSingleBean(InFlightWebFilter.class)
				.hasBean("customInFlightWebFilter")
				.doesNotHaveBean(WEB_FILTER_BEAN));
	}

	@Test
	void servletApplicationHasServletFilterRegistrationAndNoInFlightWebFilter() {
		new WebApplicationContextRunner().withConfiguration(AUTO_CONFIGURATIONS)
			.run((context) -> assertThat(context).hasBean(SERVLET_FILTER_BEAN)
				.doesNotHaveBean(InFlightWebFilter.class));
	}

	@Test
	void reactiveApplicationHasNoServletFilterRegistration() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(InFlightWebFilter.class)
			.doesNotHaveBean(SERVLET_FILTER_BEAN)
			.doesNotHaveBean(FilterRegistrationBean.class));
	}

	@Test
	void withoutWebFilterOnTheClasspathOnlyTheReactiveFilterIsMissing() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(WebFilter.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(InFlightWebFilter.class)
				.hasSingleBean(RequestTracker.class)
				.hasSingleBean(LameDuckDelay.class)
				.hasSingleBean(DrainMonitor.class));
	}

	@Test
	void withoutWebFluxOnTheClasspathNoReactiveFilterIsConfiguredAndNothingFails() {
		this.contextRunner
			.withClassLoader(new FilteredClassLoader("org.springframework.web.reactive", "org.springframework.web.server"))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(InFlightWebFilter.class)
				.doesNotHaveBean(SERVLET_FILTER_BEAN)
				.hasSingleBean(ShutdownRecorder.class));
	}

	@Test
	void withoutServletApiOnTheClasspathReactiveApplicationIsFullyConfigured() {
		this.contextRunner
			.withClassLoader(new FilteredClassLoader("jakarta.servlet", "org.springframework.boot.web.servlet"))
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(InFlightWebFilter.class)
				.hasSingleBean(RequestTracker.class)
				.hasSingleBean(LameDuckDelay.class)
				.hasSingleBean(DrainMonitor.class)
				.doesNotHaveBean(SERVLET_FILTER_BEAN));
	}

	@Configuration(proxyBeanMethods = false)
	static class CustomInFlightWebFilterConfiguration {

		@Bean
		InFlightWebFilter customInFlightWebFilter() {
			return new InFlightWebFilter(new RequestTracker(new ShutdownRecorder(new ShutdownBudget(Duration.ofSeconds(30))), List.of()), false);
		}

	}

}
