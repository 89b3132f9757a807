package dev.graceful.shutdown.autoconfigure;

import java.util.List;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Assertions on how the registrars put the starter's parts into the bean factory.
 */
final class RegisteredParts {

	private RegisteredParts() {
	}

	/**
	 * Asserts that each of the names is a singleton that no bean definition describes.
	 */
	static void assertSingletonsWithoutDefinitions(ConfigurableListableBeanFactory beanFactory, String... names) {
		assertThat(List.of(names)).allSatisfy((name) -> {
			assertThat(beanFactory.containsSingleton(name)).as(name).isTrue();
			assertThat(beanFactory.containsBeanDefinition(name)).as(name).isFalse();
		});
	}

	/**
	 * Asserts the bean definitions whose names start with the prefix, exactly: what is left
	 * of the auto-configurations besides the singletons.
	 */
	static void assertDefinitions(ConfigurableListableBeanFactory beanFactory, String prefix, String... names) {
		assertThat(beanFactory.getBeanDefinitionNames()).filteredOn((name) -> name.startsWith(prefix))
			.containsExactlyInAnyOrder(names);
	}

}
