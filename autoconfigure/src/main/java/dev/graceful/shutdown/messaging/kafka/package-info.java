/**
 * Kafka listener containers as shutdown participants: stopped when the shutdown starts,
 * the record in the listener finished, the rest of the poll handed back, offsets
 * committed.
 */
@NullMarked
package dev.graceful.shutdown.messaging.kafka;

import org.jspecify.annotations.NullMarked;
