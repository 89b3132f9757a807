package dev.graceful.shutdown.streams;

import org.jspecify.annotations.Nullable;

/**
 * How streams are ended on purpose.
 *
 * @param lastEvent the last event of a server-sent event stream, or {@code null} to end
 * it without one
 * @param closeReason the reason sent with a WebSocket's 1001 Going Away close frame
 */
public record StreamSettings(@Nullable LastEvent lastEvent, String closeReason) {
}
