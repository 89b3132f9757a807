package dev.graceful.shutdown.streams.servlet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;

import org.springframework.core.MethodParameter;
import org.springframework.core.ReactiveAdapter;
import org.springframework.core.ReactiveAdapterRegistry;
import org.springframework.core.ResolvableType;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.async.DeferredResult;
import org.springframework.web.context.request.async.DeferredResultProcessingInterceptor;
import org.springframework.web.context.request.async.WebAsyncUtils;
import org.springframework.web.servlet.HandlerMapping;

import dev.graceful.shutdown.streams.LastEvent;
import dev.graceful.shutdown.streams.OpenStreams;
import dev.graceful.shutdown.streams.PublisherHandOff;

/**
 * Server-sent event streams that a Spring MVC handler returns as a reactive type
 * ({@code Flux<ServerSentEvent<T>>}, or any multi-value publisher produced as
 * {@code text/event-stream}), which Spring writes through an emitter of its own: the
 * publisher is wrapped so that at the hand-off it is cancelled and the listeners'
 * messages and the last event follow as its last elements, after which Spring completes
 * the response. The stream counts as open until the async request has completed. Used
 * only with Reactor on the class path.
 */
final class EventStreamPublishers {

	private static final Object INTERCEPTOR_KEY = EventStreamPublishers.class.getName() + ".interceptor";

	private EventStreamPublishers() {
	}

	/**
	 * Wrap the body a handler returned if Spring will write it as a server-sent event
	 * stream, and register it as an open stream.
	 * @param body the body (the return value, or a {@code ResponseEntity}'s body)
	 * @param bodyType the declared type of the body
	 * @param webRequest the request
	 * @param streams the open SSE streams
	 * @param lastEvent the last event, or {@code null} for none
	 * @return the wrapped body, or {@code null} if it is not an event stream
	 */
	static @Nullable Object track(Object body, MethodParameter bodyType, NativeWebRequest webRequest,
			OpenStreams streams, @Nullable LastEvent lastEvent) {
		ReactiveAdapter adapter = ReactiveAdapterRegistry.getSharedInstance().getAdapter(body.getClass());
		HttpServletRequest request = webRequest.getNativeRequest(HttpServletRequest.class);
		if (adapter == null || !adapter.isMultiValue() || request == null
				|| !isEventStream(ResolvableType.forMethodParameter(bodyType).getGeneric().toClass(), request)) {
			return null;
		}
		PublisherHandOff handOff = new PublisherHandOff();
		OpenStreams.Stream stream = streams.open(request.getRequestURI(), request, handOff);
		// Closed once the async request has completed, whichever way.
		WebAsyncUtils.getAsyncManager(webRequest)
			.registerDeferredResultInterceptor(INTERCEPTOR_KEY, new DeferredResultProcessingInterceptor() {

				@Override
				public <T> void afterCompletion(NativeWebRequest request, DeferredResult<T> deferredResult) {
					stream.closed();
				}

			});
		return handOff.write(Flux.from(adapter.toPublisher(body)), (messages) -> {
			List<Object> events = new ArrayList<>(messages.size() + 1);
			for (String message : messages) {
				events.add(ServerSentEvent.builder(message).build());
			}
			if (lastEvent != null) {
				Duration retry = lastEvent.retry();
				events.add(ServerSentEvent.builder(lastEvent.data()).event(lastEvent.name()).retry(retry).build());
			}
			return Flux.fromIterable(events);
		});
	}

	/**
	 * Whether Spring MVC writes a multi-value body as server-sent events: its elements
	 * are {@link ServerSentEvent}s, or the handler produces {@code text/event-stream}
	 * (what its mapping produces, else what the client accepts).
	 */
	private static boolean isEventStream(Class<?> elementType, HttpServletRequest request) {
		if (ServerSentEvent.class.isAssignableFrom(elementType)) {
			return true;
		}
		Object producible = request.getAttribute(HandlerMapping.PRODUCIBLE_MEDIA_TYPES_ATTRIBUTE);
		if (producible instanceof Collection<?> types && !types.isEmpty()) {
			return types.stream().anyMatch((type) -> type instanceof MediaType mediaType
					&& MediaType.TEXT_EVENT_STREAM.includes(mediaType));
		}
		String accept = request.getHeader("Accept");
		try {
			return accept != null
					&& MediaType.parseMediaTypes(accept).stream().anyMatch(MediaType.TEXT_EVENT_STREAM::includes);
		}
		catch (RuntimeException ex) {
			return false;
		}
	}

}
