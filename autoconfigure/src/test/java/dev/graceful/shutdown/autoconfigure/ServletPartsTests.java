package dev.graceful.shutdown.autoconfigure;

import java.util.EnumSet;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableWebApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.RequestTracker;
import dev.graceful.shutdown.web.servlet.InFlightRequestFilter;
import dev.graceful.shutdown.web.servlet.TomcatRequestCounting;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the servlet parts that {@link GracefulShutdownAutoConfiguration} registers in
 * a servlet or reactive application (see {@link ServletPartsRegistrar}).
 */
class ServletPartsTests {

	private static final String FILTER_BEAN = "gracefulShutdownInFlightRequestFilter";

	private static final AutoConfigurations AUTO_CONFIGURATIONS = AutoConfigurations.of(
			ApplicationAvailabilityAutoConfiguration.class, GracefulShutdownAutoConfiguration.class);

	private final WebApplicationContextRunner contextRunner = new WebApplicationContextRunner()
		.withConfiguration(AUTO_CONFIGURATIONS)
		.withPropertyValues("spring.main.cloud-platform=none");

	@Test
	void registersInFlightRequestFilterFirstForRequestDispatchesByDefault() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed().hasBean(FILTER_BEAN);
			FilterRegistrationBean<?> registration = context.getBean(FILTER_BEAN, FilterRegistrationBean.class);
			assertThat(registration.getFilter()).isInstanceOf(InFlightRequestFilter.class);
			assertThat(registration.getOrder()).isEqualTo(Ordered.HIGHEST_PRECEDENCE);
			assertThat(registration.getFilterName()).isEqualTo(FILTER_BEAN);
			assertThat(registration).extracting("dispatcherTypes").isEqualTo(EnumSet.of(DispatcherType.REQUEST));
		});
	}

	@Test
	void filterRegistrationAndTomcatCountAreSingletonsWithoutBeanDefinitions() {
		this.contextRunner.run((context) -> {
			ConfigurableListableBeanFactory beanFactory = context.getBeanFactory();
			RegisteredParts.assertSingletonsWithoutDefinitions(beanFactory, FILTER_BEAN,
					"gracefulShutdownTomcatRequestCounting");
			// The registrar's own definition, and the stream parts that are created when first
			// asked (see StreamPartsTests).
			RegisteredParts.assertDefinitions(beanFactory, "gracefulShutdown", "gracefulShutdownCore",
					"gracefulShutdownStreamSettings", "gracefulShutdownStreamMeters");
		});
	}

	@Test
	void backsOffToUserDefinedTomcatCount() {
		TomcatRequestCounting mine = new TomcatRequestCounting();
		this.contextRunner.withBean("myCount", TomcatRequestCounting.class, () -> mine)
			.run((context) -> assertThat(context).hasSingleBean(TomcatRequestCounting.class)
				.getBean(FILTER_BEAN, FilterRegistrationBean.class)
				.extracting(FilterRegistrationBean::getFilter)
				.hasFieldOrPropertyWithValue("containerCount", mine));
	}

	@Test
	void readsTomcatsCountOfRequestsInFlightWhenTomcatIsPresent() {
		this.contextRunner.run((context) -> assertThat(context).hasNotFailed()
			.hasSingleBean(TomcatRequestCounting.class)
			.getBean(FILTER_BEAN, FilterRegistrationBean.class)
			.extracting(FilterRegistrationBean::getFilter)
			.hasFieldOrPropertyWithValue("containerCount", context.getBean(TomcatRequestCounting.class)));
	}

	@Test
	void filterCountsEveryRequestWithoutTomcat() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(Tomcat.class)).run((context) -> {
			assertThat(context).hasNotFailed().hasBean(FILTER_BEAN).doesNotHaveBean(TomcatRequestCounting.class);
			doFilter(context);
			assertThat(context.getBean(RequestTracker.class).startedCount()).isEqualTo(1);
		});
	}

	@Test
	void doesNotRegisterFilterWhenDisabled() {
		this.contextRunner.withPropertyValues("graceful.shutdown.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(FILTER_BEAN)
				.doesNotHaveBean(FilterRegistrationBean.class));
	}

	@Test
	void doesNotRegisterFilterInNonWebApplication() {
		new ApplicationContextRunner().withConfiguration(AUTO_CONFIGURATIONS)
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(ShutdownRecorder.class)
				.doesNotHaveBean(FILTER_BEAN));
	}

	@Test
	void doesNotRegisterFilterWithoutServletApi() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(Filter.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(RequestTracker.class)
				.doesNotHaveBean(FILTER_BEAN));
	}

	@Test
	void backsOffToUserDefinedFilterRegistrationWithSameName() {
		this.contextRunner.withUserConfiguration(UserFilterConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed().hasSingleBean(FilterRegistrationBean.class);
			assertThat(context.getBean(FILTER_BEAN, FilterRegistrationBean.class).getFilter())
				.isNotInstanceOf(InFlightRequestFilter.class);
		});
	}

	@Test
	void filterCountsRequestsWithUserDefinedRequestTracker() {
		this.contextRunner.withUserConfiguration(UserRequestTrackerConfiguration.class).run((context) -> {
			RequestTracker tracker = context.getBean("userTracker", RequestTracker.class);
			doFilter(context);
			assertThat(tracker.finishedCount()).isEqualTo(1);
			assertThat(tracker.inFlight()).isZero();
		});
	}

	@Test
	void filterDoesNotCloseConnectionsBeforeShutdown() {
		this.contextRunner.run((context) -> {
			MockHttpServletResponse response = doFilter(context);
			assertThat(response.getHeader("Connection")).isNull();
		});
	}

	@Test
	void filterClosesConnectionsOnceShutdownHasStarted() {
		this.contextRunner.run((context) -> {
			context.getBean(ShutdownRecorder.class).begin();
			MockHttpServletResponse response = doFilter(context);
			assertThat(response.getHeader("Connection")).isEqualTo("close");
		});
	}

	@Test
	void filterKeepsConnectionsOpenWhenConnectionCloseIsDisabled() {
		this.contextRunner.withPropertyValues("graceful.shutdown.web.connection-close=false").run((context) -> {
			context.getBean(ShutdownRecorder.class).begin();
			MockHttpServletResponse response = doFilter(context);
			assertThat(response.getHeader("Connection")).isNull();
			assertThat(context.getBean(RequestTracker.class).finishedCount()).isEqualTo(1);
		});
	}

	private MockHttpServletResponse doFilter(AssertableWebApplicationContext context) throws Exception {
		FilterRegistrationBean<?> registration = context.getBean(FILTER_BEAN, FilterRegistrationBean.class);
		MockHttpServletRequest request = new MockHttpServletRequest("GET", "/work");
		MockHttpServletResponse response = new MockHttpServletResponse();
		registration.getFilter().doFilter(request, response, new MockFilterChain());
		return response;
	}

	@Configuration(proxyBeanMethods = false)
	static class UserFilterConfiguration {

		@Bean
		FilterRegistrationBean<Filter> gracefulShutdownInFlightRequestFilter() {
			return new FilterRegistrationBean<>((request, response, chain) -> chain.doFilter(request, response));
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserRequestTrackerConfiguration {

		@Bean
		RequestTracker userTracker(ShutdownRecorder progress) {
			return new RequestTracker(progress, java.util.List.of());
		}

	}

}
