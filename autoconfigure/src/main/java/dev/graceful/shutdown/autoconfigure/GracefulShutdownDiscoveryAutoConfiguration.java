package dev.graceful.shutdown.autoconfigure;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.cloud.client.serviceregistry.ServiceRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

import dev.graceful.shutdown.discovery.DiscoveryDeregistration;
import dev.graceful.shutdown.discovery.DiscoveryPropagation;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for leaving service discovery: with Spring Cloud Commons on the
 * class path, the application's service registrations are deregistered as the shutdown
 * starts, and the plan line says how long callers may keep finding the instance.
 */
@AutoConfiguration(after = GracefulShutdownAutoConfiguration.class)
@ConditionalOnClass(ServiceRegistry.class)
@ConditionalOnBooleanProperty(
		name = { GracefulShutdownProperties.ENABLED, GracefulShutdownProperties.DISCOVERY_ENABLED },
		matchIfMissing = true)
public final class GracefulShutdownDiscoveryAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	DiscoveryDeregistration gracefulShutdownDiscovery(ShutdownRecorder progress, ListableBeanFactory beanFactory,
			GracefulShutdownProperties properties) {
		return new DiscoveryDeregistration(progress, beanFactory, properties.getDiscovery().getTimeout());
	}

	@Bean
	@ConditionalOnMissingBean
	DiscoveryPropagation gracefulShutdownDiscoveryPropagation(DiscoveryDeregistration discovery,
			Environment environment) {
		return new DiscoveryPropagation(Binder.get(environment), discovery::registrationTypes);
	}

}
