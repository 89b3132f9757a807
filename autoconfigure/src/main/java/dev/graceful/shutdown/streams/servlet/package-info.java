/**
 * Stream hand-off on servlet servers: Spring MVC {@code SseEmitter} responses and Spring
 * WebSocket sessions.
 */
@NullMarked
package dev.graceful.shutdown.streams.servlet;

import org.jspecify.annotations.NullMarked;
