/**
 * Micrometer meters for the shutdown, and deferred closing of meter registries so that they are published.
 */
@NullMarked
package dev.graceful.shutdown.metrics;

import org.jspecify.annotations.NullMarked;
