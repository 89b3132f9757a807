package dev.graceful.shutdown.streams.servlet;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Lock;
import java.util.function.Supplier;

import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.MethodParameter;
import org.springframework.http.ResponseEntity;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.method.support.HandlerMethodReturnValueHandler;
import org.springframework.web.method.support.ModelAndViewContainer;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitterReturnValueHandler;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import dev.graceful.shutdown.streams.LastEvent;
import dev.graceful.shutdown.streams.OpenStreams;
import dev.graceful.shutdown.streams.StreamSettings;

/**
 * Registers every {@link SseEmitter} a Spring MVC handler returns (directly or in a
 * {@link ResponseEntity}) as an open stream, handed off with the last event and
 * {@link SseEmitter#complete()}: the async request ends, the chunked body terminates, and
 * the client reconnects elsewhere. Event streams returned as a reactive type (such as
 * {@code Flux<ServerSentEvent<T>>}) are handed off the same way, with Reactor on the
 * class path (see {@code EventStreamPublishers}). Wraps the emitter return value handler of every
 * {@link RequestMappingHandlerAdapter}.
 */
public final class SseEmitterTracking implements BeanPostProcessor {

	private static final @Nullable Field WRITE_LOCK = writeLockField();

	private static final boolean REACTOR_PRESENT = ClassUtils.isPresent("reactor.core.publisher.Flux",
			SseEmitterTracking.class.getClassLoader());

	private final Supplier<OpenStreams> streams;

	private final Supplier<StreamSettings> settings;

	/**
	 * Create the tracking.
	 * @param streams the open SSE streams, looked up at the first stream
	 * @param settings how streams are ended
	 */
	public SseEmitterTracking(Supplier<OpenStreams> streams, Supplier<StreamSettings> settings) {
		this.streams = streams;
		this.settings = settings;
	}

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) {
		if (bean instanceof RequestMappingHandlerAdapter adapter) {
			List<HandlerMethodReturnValueHandler> handlers = adapter.getReturnValueHandlers();
			if (handlers != null) {
				List<HandlerMethodReturnValueHandler> wrapped = new ArrayList<>(handlers.size());
				for (HandlerMethodReturnValueHandler handler : handlers) {
					wrapped.add((handler instanceof ResponseBodyEmitterReturnValueHandler)
							? new TrackingReturnValueHandler(handler) : handler);
				}
				adapter.setReturnValueHandlers(wrapped);
			}
		}
		return bean;
	}

	void track(SseEmitter emitter, String path) {
		LastEvent lastEvent = this.settings.get().lastEvent();
		OpenStreams.Stream stream = this.streams.get().open(path, emitter, (messages) -> {
			// The emitter's own write lock, held from the first message to the end: an
			// event the application sends at that moment goes before them, not between the
			// last event and the end.
			Lock writeLock = writeLock(emitter);
			if (writeLock != null) {
				writeLock.lock();
			}
			try {
				while (!messages.isEmpty()) {
					emitter.send(SseEmitter.event().data(messages.get(0)));
					messages.remove(0);
				}
				if (lastEvent != null) {
					SseEmitter.SseEventBuilder event = SseEmitter.event().name(lastEvent.name()).data(lastEvent.data());
					if (lastEvent.retry() != null) {
						event.reconnectTime(lastEvent.retry().toMillis());
					}
					emitter.send(event);
				}
			}
			finally {
				try {
					emitter.complete();
				}
				finally {
					if (writeLock != null) {
						writeLock.unlock();
					}
				}
			}
			return true;
		});
		// The lambda captures a Runnable, not the stream: Spring's reflection over this
		// bean's methods (the lambda's among them) then does not load the stream's class.
		Runnable closed = stream::closed;
		emitter.onCompletion(closed);
		emitter.onError((ex) -> closed.run());
		emitter.onTimeout(closed);
	}

	/**
	 * Return the lock {@link ResponseBodyEmitter} takes for every send and for
	 * {@code complete()} (reentrant), or {@code null} if this version has none.
	 */
	private static @Nullable Lock writeLock(SseEmitter emitter) {
		if (WRITE_LOCK == null) {
			return null;
		}
		return (ReflectionUtils.getField(WRITE_LOCK, emitter) instanceof Lock lock) ? lock : null;
	}

	private static @Nullable Field writeLockField() {
		Field field = ReflectionUtils.findField(ResponseBodyEmitter.class, "writeLock", Lock.class);
		if (field != null) {
			try {
				ReflectionUtils.makeAccessible(field);
			}
			catch (RuntimeException ex) {
				return null;
			}
		}
		return field;
	}

	private final class TrackingReturnValueHandler implements HandlerMethodReturnValueHandler {

		private final HandlerMethodReturnValueHandler delegate;

		private TrackingReturnValueHandler(HandlerMethodReturnValueHandler delegate) {
			this.delegate = delegate;
		}

		@Override
		public boolean supportsReturnType(MethodParameter returnType) {
			return this.delegate.supportsReturnType(returnType);
		}

		@Override
		public void handleReturnValue(@Nullable Object returnValue, MethodParameter returnType,
				ModelAndViewContainer mavContainer, NativeWebRequest webRequest) throws Exception {
			Object body = (returnValue instanceof ResponseEntity<?> entity) ? entity.getBody() : returnValue;
			if (body instanceof SseEmitter emitter) {
				HttpServletRequest request = webRequest.getNativeRequest(HttpServletRequest.class);
				track(emitter, (request != null) ? request.getRequestURI() : "");
			}
			else if (body != null && REACTOR_PRESENT) {
				MethodParameter bodyType = (returnValue instanceof ResponseEntity<?>) ? returnType.nested() : returnType;
				Object events = EventStreamPublishers.track(body, bodyType, webRequest, streams.get(),
						settings.get().lastEvent());
				if (events != null) {
					returnValue = (returnValue instanceof ResponseEntity<?> entity) ? ResponseEntity
						.status(entity.getStatusCode())
						.headers(entity.getHeaders())
						.body(events) : events;
				}
			}
			this.delegate.handleReturnValue(returnValue, returnType, mavContainer, webRequest);
		}

	}

}
