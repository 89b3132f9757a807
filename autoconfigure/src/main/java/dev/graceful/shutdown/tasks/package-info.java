/**
 * Step 3: waits for background work (Spring executors and tracked work) after the HTTP drain, then cancels and names what is left.
 */
@NullMarked
package dev.graceful.shutdown.tasks;

import org.jspecify.annotations.NullMarked;
