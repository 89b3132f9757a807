/**
 * Test support shared with the sample application's tests: a raw HTTP/1.1 client, a
 * RabbitMQ node of the tests' own and what the message listener tests share.
 */
@NullMarked
package dev.graceful.shutdown.testsupport;

import org.jspecify.annotations.NullMarked;
