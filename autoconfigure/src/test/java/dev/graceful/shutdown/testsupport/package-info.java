/**
 * Test support shared with the sample application's tests: a raw HTTP/1.1 client and a
 * RabbitMQ node of the tests' own.
 */
@NullMarked
package dev.graceful.shutdown.testsupport;

import org.jspecify.annotations.NullMarked;
