package dev.graceful.shutdown.sample;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import dev.graceful.shutdown.WorkTracker;

/**
 * Background work started by requests: {@code GET /async?ms=N} hands N ms of work to the
 * {@code @Async} executor; {@code GET /import?items=N} starts an import of N items
 * (100 ms each) on a thread of its own, tracked with {@link WorkTracker}, that stops
 * early when the shutdown cancels it.
 */
@RestController
class BackgroundController {

	private static final Log logger = LogFactory.getLog(BackgroundController.class);

	private final AsyncMailer mailer;

	private final WorkTracker workTracker;

	BackgroundController(AsyncMailer mailer, WorkTracker workTracker) {
		this.mailer = mailer;
		this.workTracker = workTracker;
	}

	@GetMapping("/async")
	@ResponseStatus(HttpStatus.ACCEPTED)
	String async(@RequestParam(defaultValue = "1000") long ms) throws InterruptedException {
		this.mailer.send("user@example.com", ms);
		return "mail queued\n";
	}

	@GetMapping("/import")
	@ResponseStatus(HttpStatus.ACCEPTED)
	String startImport(@RequestParam(defaultValue = "50") int items) {
		Thread thread = new Thread(() -> runImport(items), "import");
		thread.start();
		return "import of " + items + " item(s) started\n";
	}

	private void runImport(int items) {
		try (WorkTracker.Work work = this.workTracker.start("import of " + items + " item(s)")) {
			int done = 0;
			while (done < items && !work.shouldStop()) {
				Thread.sleep(100);
				done++;
			}
			logger.info("Import imported " + done + " of " + items + " item(s)");
		}
		catch (InterruptedException ex) {
			logger.info("Import interrupted by the shutdown");
		}
	}

}
