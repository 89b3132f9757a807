/**
 * JMS listener containers as shutdown participants: stopped when the shutdown starts,
 * the message in the listener finished, the messages in the listener counted.
 */
@NullMarked
package dev.graceful.shutdown.messaging.jms;

import org.jspecify.annotations.NullMarked;
