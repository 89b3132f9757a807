/**
 * WebFlux (Reactor Netty) request tracking and keep-alive hand-off.
 */
@NullMarked
package dev.graceful.shutdown.web.reactive;

import org.jspecify.annotations.NullMarked;
