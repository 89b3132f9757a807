package dev.graceful.shutdown.web;

import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;

import org.springframework.boot.jetty.JettyWebServer;
import org.springframework.boot.web.server.WebServer;

/**
 * Keeps Jetty from cutting off the requests its drain waits for. When Spring Boot's drain
 * shuts Jetty's connectors down, each connector lowers the idle timeout of every open
 * connection to its shutdown idle timeout: one second unless set otherwise. A request
 * whose connection has seen no I/O for that long (a handler that works without writing,
 * a client that reads a large response slowly) then fails as its response is written, and
 * the client gets no answer or half of one although the drain was waiting for it.
 * Lifting the shutdown idle timeout leaves each connection its own idle timeout; idle
 * keep-alive connections are closed when the server stops, once the drain has ended.
 * <p>
 * A shutdown idle timeout set to anything but Jetty's default is the application's choice
 * and is kept. Loaded only when the web server is Jetty's.
 */
final class JettyConnectors {

	/** {@link AbstractConnector}'s default shutdown idle timeout, in milliseconds. */
	private static final long DEFAULT_SHUTDOWN_IDLE_TIMEOUT = 1000;

	private static final String WEB_SERVER = "org.springframework.boot.jetty.JettyWebServer";

	private JettyConnectors() {
	}

	/**
	 * Whether a web server is Jetty's, without loading Jetty's classes when it is not.
	 * @param webServer the web server
	 * @return whether it is a {@code JettyWebServer}
	 */
	static boolean isJetty(WebServer webServer) {
		for (Class<?> type = webServer.getClass(); type != null; type = type.getSuperclass()) {
			if (WEB_SERVER.equals(type.getName())) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Lift the shutdown idle timeout of the connectors of a Jetty web server that still
	 * have Jetty's default.
	 * @param webServer the web server, a {@code JettyWebServer}
	 * @return how many connectors had it lifted
	 */
	static int liftShutdownIdleTimeout(WebServer webServer) {
		int lifted = 0;
		for (Connector connector : ((JettyWebServer) webServer).getServer().getConnectors()) {
			if (connector instanceof AbstractConnector abstractConnector
					&& abstractConnector.getShutdownIdleTimeout() == DEFAULT_SHUTDOWN_IDLE_TIMEOUT) {
				abstractConnector.setShutdownIdleTimeout(-1);
				lifted++;
			}
		}
		return lifted;
	}

}
