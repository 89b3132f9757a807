package dev.graceful.shutdown.web;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.context.Lifecycle;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.support.AbstractApplicationContext;
import org.springframework.context.support.DefaultLifecycleProcessor;

import dev.graceful.shutdown.timeline.ShutdownTimeline;

/**
 * Spring Boot's web server drain as the drain step sees it: whether the server is
 * serving, the drain phase's timeout, and the drain lifecycle itself, all looked up when
 * needed (the lifecycle is registered only once the web server has been created).
 */
public final class WebServerDrain {

	private static final String LIFECYCLE_BEAN_NAME = "webServerGracefulShutdown";

	private final ApplicationContext applicationContext;

	/**
	 * Create a view of the drain of the web server of an application context.
	 * @param applicationContext the context
	 */
	public WebServerDrain(ApplicationContext applicationContext) {
		this.applicationContext = applicationContext;
	}

	/**
	 * Whether the web server is serving (bound to its port).
	 * @return whether it serves
	 */
	public boolean isServing() {
		if (this.applicationContext instanceof WebServerApplicationContext context) {
			WebServer webServer = context.getWebServer();
			return webServer != null && webServer.getPort() >= 0;
		}
		return true;
	}

	/**
	 * Prepare the web server for Spring Boot's drain, just before it starts: on Jetty, lift
	 * the connectors' shutdown idle timeout, which would otherwise fail requests the drain
	 * waits for (see {@link JettyConnectors}).
	 * @return how many connectors were changed
	 */
	public int prepare() {
		if (this.applicationContext instanceof WebServerApplicationContext context) {
			WebServer webServer = context.getWebServer();
			if (webServer != null && JettyConnectors.isJetty(webServer)) {
				return JettyConnectors.liftShutdownIdleTimeout(webServer);
			}
		}
		return 0;
	}

	/**
	 * Mark Spring Boot's drain as stopped without waiting for it: when the server is not
	 * serving, Reactor Netty's drain never reports back, and its phase would wait out
	 * {@code spring.lifecycle.timeout-per-shutdown-phase}.
	 */
	public void skip() {
		// Spring Boot's lifecycle refuses a plain stop(); the asynchronous variant marks it
		// stopped, and its callback is not awaited.
		if (lifecycle() instanceof SmartLifecycle lifecycle && lifecycle.isRunning()) {
			lifecycle.stop(() -> {
			});
		}
	}

	/**
	 * Set the timeout of the drain's lifecycle phase. Spring reads it when the phase
	 * starts, so a value set just before takes effect.
	 * @param timeout the timeout
	 * @return whether it could be set (only a {@link DefaultLifecycleProcessor} has one)
	 */
	public boolean setPhaseTimeout(Duration timeout) {
		Object lifecycleProcessor = this.applicationContext
			.getBean(AbstractApplicationContext.LIFECYCLE_PROCESSOR_BEAN_NAME);
		if (lifecycleProcessor instanceof DefaultLifecycleProcessor processor) {
			processor.setTimeoutForShutdownPhase(ShutdownTimeline.WEB_SERVER_DRAIN_PHASE, timeout.toMillis());
			return true;
		}
		return false;
	}

	private @Nullable Lifecycle lifecycle() {
		return this.applicationContext.containsBean(LIFECYCLE_BEAN_NAME)
				? this.applicationContext.getBean(LIFECYCLE_BEAN_NAME, Lifecycle.class) : null;
	}

}
