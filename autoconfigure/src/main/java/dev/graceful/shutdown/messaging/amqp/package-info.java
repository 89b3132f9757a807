/**
 * RabbitMQ listener containers as shutdown participants: stopped when the shutdown
 * starts, the message in the listener finished, the prefetched ones requeued and counted
 * as handed back.
 */
@NullMarked
package dev.graceful.shutdown.messaging.amqp;

import org.jspecify.annotations.NullMarked;
