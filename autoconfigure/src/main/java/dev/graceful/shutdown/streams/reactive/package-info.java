/**
 * Stream hand-off on reactive servers: WebFlux {@code text/event-stream} responses and
 * WebFlux WebSocket sessions.
 */
@NullMarked
package dev.graceful.shutdown.streams.reactive;

import org.jspecify.annotations.NullMarked;
