package dev.graceful.shutdown.web.servlet;

import java.util.function.LongSupplier;

import jakarta.servlet.ServletContext;
import org.jspecify.annotations.Nullable;

/**
 * The count a servlet container keeps of the requests in flight in its servlet contexts.
 * Where there is one, {@link InFlightRequestFilter} counts requests only once the shutdown
 * has started and reads the requests from before it off the container's count.
 */
@FunctionalInterface
public interface ContainerRequestCount {

	/**
	 * Return the container's count of the requests in flight in a servlet context. It must
	 * count each request from before the filters are called until after they return, and
	 * an asynchronous request until it completes.
	 * @param servletContext the servlet context
	 * @return the count, or {@code null} if the container does not count the requests of
	 * that context
	 */
	@Nullable LongSupplier inFlight(ServletContext servletContext);

}
