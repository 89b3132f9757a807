package dev.graceful.shutdown.autoconfigure;

import org.springframework.beans.factory.aot.BeanRegistrationExcludeFilter;
import org.springframework.beans.factory.support.RegisteredBean;

/**
 * Leaves out of ahead-of-time processing the bean definitions that the starter's
 * registrars register with an instance supplier (the meters, the streams' settings and
 * meters), for which Spring cannot generate code. The registrars are bean factory
 * post-processors of the core auto-configuration: a processed application runs them
 * when it starts, and they register those definitions again then. Registered in
 * {@code META-INF/spring/aot.factories}, so only ahead-of-time processing loads it.
 */
final class ShutdownPartsBeanRegistrationExcludeFilter implements BeanRegistrationExcludeFilter {

	@Override
	public boolean isExcludedFromAotProcessing(RegisteredBean registeredBean) {
		return registeredBean.getMergedBeanDefinition().hasAttribute(Singletons.PART_ATTRIBUTE);
	}

}
