import Glibc

/// The loop as a task executor, used when `runHandlersOnEventLoop` is set: handler tasks are
/// created with the loop as their executor preference, so their jobs run on the loop thread
/// between epoll waits. A job enqueued from the loop thread itself goes on a local queue (no
/// lock, no eventfd); one from another thread (a continuation resumed by a database worker,
/// say) goes through the inbox and wakes the loop.
///
/// Once the loop has exited, jobs are forwarded to the global concurrent executor, so a task
/// that outlives the server still completes.
extension EventLoop: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if isLoopThread {
            localJobs.append(job)
            return
        }
        if !post(.job(job)) {
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        }
    }

    /// Runs jobs and completions produced on this thread until none are left, in bounded rounds
    /// so that a handler that keeps scheduling work cannot starve the sockets.
    func runLocalWork() {
        var rounds = 0
        while rounds < 16 && !(localJobs.isEmpty && localCompletions.isEmpty) {
            rounds += 1
            if !localJobs.isEmpty {
                swap(&localJobs, &localJobsSpare)
                let executor = asUnownedTaskExecutor()
                for job in localJobsSpare { job.runSynchronously(on: executor) }
                localJobsSpare.removeAll(keepingCapacity: true)
            }
            if !localCompletions.isEmpty {
                swap(&localCompletions, &localCompletionsSpare)
                let now = Sys.monotonicNanoseconds()
                for completion in localCompletionsSpare { handle(completion, now: now) }
                localCompletionsSpare.removeAll(keepingCapacity: true)
            }
        }
    }

    /// The loop is done: hand every job still queued here to the global executor, and close
    /// connections that were assigned to it too late.
    func finishExecutor() {
        var pending = localJobs
        localJobs.removeAll()
        let leftovers = inboxLock.withLock { () -> [InboxItem] in
            executorFinished = true
            defer { inbox.removeAll() }
            return inbox
        }
        for item in leftovers {
            switch item {
            case .job(let job): pending.append(job)
            case .adopt(let fd, _): release(fd)
            case .adoptReplacing(let fd, _, _): close(fd)  // it held no slot of the cap
            case .completion: break
            }
        }
        for job in pending { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
    }
}
