/**
 * Progress of long work: a live bar on a terminal (cli-progress), plain lines otherwise (logs, CI),
 * so that piped output stays readable.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** @param done units finished so far @param status short live text, e.g. "ELBO -123.4" */
  update(done: number, status?: string): void;
  /** Ends the bar and prints `summary` on its own line. */
  finish(summary: string): void;
}

export function createProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% {value}/{total} ETA {eta_formatted} {status}`,
        stream,
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { status: '' });
    return {
      update: (done, status = '') => bar.update(done, { status }),
      finish: (summary) => {
        bar.stop();
        stream.write(`${summary}\n`);
      },
    };
  }
  let nextReport = 0.25;
  return {
    update: (done, status = '') => {
      if (total > 0 && done / total >= nextReport && done < total) {
        stream.write(`${label} ${Math.round((100 * done) / total)}% ${status}\n`);
        while (done / total >= nextReport) nextReport += 0.25;
      }
    },
    finish: (summary) => stream.write(`${summary}\n`),
  };
}
