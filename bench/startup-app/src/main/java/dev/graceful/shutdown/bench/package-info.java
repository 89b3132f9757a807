/**
 * The application that bench/startup-overhead.sh starts with and without the starter.
 */
@NullMarked
package dev.graceful.shutdown.bench;

import org.jspecify.annotations.NullMarked;
