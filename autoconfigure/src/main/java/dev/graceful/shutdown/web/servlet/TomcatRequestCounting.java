package dev.graceful.shutdown.web.servlet;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import jakarta.servlet.ServletContext;
import org.apache.catalina.Container;
import org.apache.catalina.Context;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.core.StandardWrapper;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.tomcat.TomcatContextCustomizer;

/**
 * Reads the requests in flight off Tomcat's own counters, so that the requests before the
 * shutdown need no counting of their own: each servlet counts the requests that have
 * allocated it ({@link StandardWrapper#getCountAllocated()}, from before the filter chain
 * until after it returns), and the context counts its asynchronous requests until they
 * complete ({@link StandardContext#getInProgressAsyncCount()}). These are the counters
 * Tomcat's own graceful shutdown waits for.
 * <p>
 * The sum is exact for the requests of a Spring MVC application. A request forwarded or
 * included from one servlet to another counts once for each servlet while both are
 * allocated. An asynchronous request leaves the context's count when Tomcat starts its
 * dispatch back into the application, a moment before the dispatch allocates the servlet.
 */
public final class TomcatRequestCounting implements TomcatContextCustomizer, ContainerRequestCount {

	private final Set<StandardContext> contexts = ConcurrentHashMap.newKeySet();

	@Override
	public void customize(Context context) {
		if (context instanceof StandardContext standard) {
			this.contexts.add(standard);
		}
	}

	@Override
	public @Nullable LongSupplier inFlight(ServletContext servletContext) {
		for (StandardContext context : this.contexts) {
			if (context.getServletContext() == servletContext) {
				return () -> inFlight(context);
			}
		}
		return null;
	}

	private static long inFlight(StandardContext context) {
		// Servlets first: a request that starts asynchronous processing enters the async
		// count before its thread releases the servlet, so it is never missing from both.
		long inFlight = 0;
		for (Container child : context.findChildren()) {
			if (child instanceof StandardWrapper wrapper) {
				inFlight += wrapper.getCountAllocated();
			}
		}
		return inFlight + context.getInProgressAsyncCount();
	}

}
