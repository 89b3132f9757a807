package dev.graceful.shutdown.streams;

import java.util.List;

import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.StreamHandOffListener;

/**
 * How streams are ended on purpose.
 *
 * @param lastEvent the last event of a server-sent event stream, or {@code null} to end
 * it without one
 * @param closeReason the reason sent with a WebSocket's 1001 Going Away close frame
 * @param listeners the application's listeners, called for each stream before it is
 * ended
 */
public record StreamSettings(@Nullable LastEvent lastEvent, String closeReason,
		List<StreamHandOffListener> listeners) {

	/**
	 * Create settings without listeners.
	 * @param lastEvent the last event of a server-sent event stream, or {@code null}
	 * @param closeReason the reason sent with a WebSocket's close frame
	 */
	public StreamSettings(@Nullable LastEvent lastEvent, String closeReason) {
		this(lastEvent, closeReason, List.of());
	}

}
