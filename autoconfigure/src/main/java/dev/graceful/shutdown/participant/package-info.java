/**
 * Shutdown participants: your components that take work from outside, stopped and
 * drained beside the timeline, each as a step of its own.
 */
@NullMarked
package dev.graceful.shutdown.participant;

import org.jspecify.annotations.NullMarked;
