/**
 * Test support shared with the sample application's tests: a raw HTTP/1.1 client.
 */
@NullMarked
package dev.graceful.shutdown.testsupport;

import org.jspecify.annotations.NullMarked;
