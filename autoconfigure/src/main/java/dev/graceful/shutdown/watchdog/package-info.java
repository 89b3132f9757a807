/**
 * The watchdog: from the JVM's exit, halts a shutdown that outlives its budget, after
 * logging what is still running and a thread dump.
 */
@NullMarked
package dev.graceful.shutdown.watchdog;

import org.jspecify.annotations.NullMarked;
