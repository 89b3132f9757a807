/**
 * Message listener containers as shutdown participants: they stop taking messages when
 * the shutdown starts, beside the delay, each as a step of its own.
 */
@NullMarked
package dev.graceful.shutdown.messaging;

import org.jspecify.annotations.NullMarked;
