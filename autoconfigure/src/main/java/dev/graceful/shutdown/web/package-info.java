/**
 * Step 2: in-flight request tracking and the timed bracket around Spring Boot's web server drain.
 */
@NullMarked
package dev.graceful.shutdown.web;

import org.jspecify.annotations.NullMarked;
