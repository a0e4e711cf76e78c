#!/usr/bin/perl
# Reads iscsi-test-cu logs (one per column and group, OUT/COLUMN/GROUP.log, with iscsi-test-cu's exit
# status in OUT/COLUMN/GROUP.status), prints pass / fail / skip / not run per test side by side, totals
# per column, and every outcome other than a pass with its reason.
#
# iscsi-test-cu reports a skipped test as passed (and a run that matched no test as a success), so:
# - a test is a fail when CUnit says FAILED;
# - else a skip when its output carries "[SKIPPED]" or "[SKIPPING]" (libiscsi's tags), or the untagged
#   "Skipping"/"skipping" of its printf messages ("--dataloss flag is not set in. Skipping write",
#   iscsi-support.c:599 and the like);
# - every test `iscsi-test-cu -l` lists for a group must appear in that group's log with a verdict,
#   else it is "not run": the group timed out (status 124/137, from `timeout`) — the test it was in is
#   the one that hung — or iscsi-test-cu ended early (a crash, a failed login: its last line says why).
#
# Outcomes other than a pass are matched against the known list (COLUMN-GLOB TEST OUTCOME REASON); in
# the enforced columns, an outcome that is not a pass and not known fails the run (exit 1) and is
# appended to UNEXPECTED (tab-separated: group, column, test, outcome, what libiscsi logged).
#
# usage: report.pl OUT TESTS-LIST KNOWN-LIST "GROUPS" "COLUMNS" "ENFORCED-COLUMN-GLOBS" MARKDOWN UNEXPECTED
#        report.pl --pending UNEXPECTED   (the unexpected outcomes as Markdown, by group)
use strict;
use warnings;

if (@ARGV == 2 && $ARGV[0] eq '--pending') {
    pending($ARGV[1]);
    exit 0;
}
my ($out, $tests_file, $known_file, $groups, $columns, $enforced, $md_file, $unexpected_file) = @ARGV;
die "usage: report.pl OUT TESTS KNOWN GROUPS COLUMNS ENFORCED MARKDOWN UNEXPECTED\n" unless defined $unexpected_file;
my @groups = split ' ', $groups;
my @columns = split ' ', $columns;
my @enforced = split ' ', $enforced;

# What marks a skip in a test's output (the first match is its reason).
my @skip_marks = (qr/\[SKIPPED\]\s*([^\n]*)/, qr/\[SKIPPING\]\s*([^\n]*)/, qr/(\S[^\n]*\b[Ss]kipping\b[^\n]*)/);

sub glob_re { my $g = quotemeta shift; $g =~ s/\\\*/.*/g; return qr/^$g$/; }

# The tests each group has, in the suite's order.
my %expected;
open my $tf, '<', $tests_file or die "$tests_file: $!";
while (<$tf>) {
    chomp;
    if (/^i?SCSI\.(\w+)\.(\w+)$/) { push @{ $expected{$1} }, "$1.$2"; }
}
close $tf;

my @known;
if (open my $kf, '<', $known_file) {
    while (<$kf>) {
        next if /^\s*(#|$)/;
        chomp;
        my ($col, $test, $outcome, $why) = split ' ', $_, 4;
        # "not run" is written not-run in the list (one word per field).
        $outcome =~ s/^not-run$/not run/;
        push @known, [glob_re($col), $test, $outcome, $why // ''];
    }
    close $kf;
}

# A reason built from several lines: each distinct line once.
sub add_reason {
    my ($r, $more) = @_;
    return $more unless defined $r && length $r;
    return $r if index(" | $r | ", " | $more | ") >= 0;
    return "$r | $more";
}

my (%result, %reason, @order, @ended);
for my $g (@groups) {
    my @tests = @{ $expected{$g} // [] };
    die "iscsi-test-cu lists no test in group $g: is the group name right?\n" unless @tests;
    push @order, @tests;
    for my $c (@columns) {
        my $log = "$out/$c/$g.log";
        my %seen;
        my ($test, $body, $failing, $last) = (undef, '', undef, '');
        if (open my $lf, '<', $log) {
            my $verdict = sub {
                my ($v) = @_;
                my $skip;
                for my $re (@skip_marks) { if ($body =~ $re) { $skip = $1; last; } }
                my $name = "$g.$test";
                if ($v eq 'FAILED') {
                    $result{$c}{$name} = 'fail';
                    my $r;
                    $r = add_reason($r, $_) for $body =~ /\[FAILED\]\s*([^\n]*)/g;
                    $reason{$c}{$name} = $r // '';
                    $failing = $name;
                } elsif (defined $skip) {
                    $result{$c}{$name} = 'skip';
                    $reason{$c}{$name} = $skip;
                } else {
                    $result{$c}{$name} = 'pass';
                }
                $seen{$name} = 1;
                ($test, $body) = (undef, '');
            };
            while (my $line = <$lf>) {
                chomp $line;
                $last = $line if $line =~ /\S/;
                my $content;
                if ($line =~ /^  Test: (\S+) \.\.\.(.*)$/) {
                    ($test, $body, $failing) = ($1, '', undef);
                    $content = $2;
                } elsif (defined $test) {
                    $content = $line;
                } else {
                    # CUnit's assertion lines after a FAILED verdict.
                    if (defined $failing && $line =~ /^\s+\d+\.\s+(\S+:\d+)\s+-\s+(.*)$/) {
                        $reason{$c}{$failing} = add_reason($reason{$c}{$failing}, "$1 $2");
                    }
                    next;
                }
                if ($content =~ /^(passed|FAILED)/) {
                    $verdict->($1);
                } else {
                    $body .= "$content\n";
                }
            }
            close $lf;
        }
        my $status = '';
        if (open my $sf, '<', "$out/$c/$g.status") { $status = <$sf> // ''; chomp $status; close $sf; }
        my $timed_out = $status eq '124' || $status eq '137';
        push @ended, "$c $g: " . ($timed_out ? 'timed out' : "iscsi-test-cu exit status $status, ended with: $last")
            if $timed_out || ($status =~ /^\d+$/ && $status > 128);
        for my $name (@tests) {
            next if $seen{$name};
            $result{$c}{$name} = 'not run';
            if (!-e $log) {
                $reason{$c}{$name} = 'no log';
            } elsif ($timed_out) {
                $reason{$c}{$name} = defined $test && $name eq "$g.$test"
                    ? 'hung: the group timed out in this test' : 'the group timed out before this test';
            } else {
                $reason{$c}{$name} = "not in the log (iscsi-test-cu exit status $status, last line: $last)";
            }
        }
    }
}

sub known_for {
    my ($c, $name, $outcome) = @_;
    for my $k (@known) {
        my ($cre, $t, $o, $why) = @$k;
        return $why if $c =~ $cre && $t eq $name && $o eq $outcome;
    }
    return undef;
}

sub enforced { my $c = shift; for my $g (@enforced) { return 1 if $c =~ glob_re($g); } return 0; }

my $w = 36;
for (@order) { $w = length($_) + 2 if length($_) + 2 > $w; }
my $cw = 16;
for (@columns) { $cw = length($_) + 2 if length($_) + 2 > $cw; }
my $header = sprintf("%-${w}s", 'test') . join('', map { sprintf("%-${cw}s", $_) } @columns);
print "$header\n", '-' x length($header), "\n";
my @md = ('| test | ' . join(' | ', @columns) . ' |', '|---|' . join('', map { '---|' } @columns));
for my $name (@order) {
    my @cells = map { $result{$_}{$name} } @columns;
    print sprintf("%-${w}s", $name), join('', map { sprintf("%-${cw}s", $_) } @cells), "\n";
    push @md, "| $name | " . join(' | ', map { $_ eq 'pass' ? 'pass' : "**$_**" } @cells) . ' |';
}
print '-' x length($header), "\n";
my %totals;
for my $c (@columns) {
    for my $name (@order) { $totals{$c}{ $result{$c}{$name} }++; }
}
for my $kind ('pass', 'fail', 'skip', 'not run') {
    print sprintf("%-${w}s", "total $kind"), join('', map { sprintf("%-${cw}s", $totals{$_}{$kind} // 0) } @columns), "\n";
    push @md, "| **total $kind** | " . join(' | ', map { $totals{$_}{$kind} // 0 } @columns) . ' |';
}
my $ran = scalar @order;
print sprintf("%-${w}s", 'tests run'), join('', map { sprintf("%-${cw}s", $ran - ($totals{$_}{'not run'} // 0)) } @columns), "\n";
push @md, '| **tests run** | ' . join(' | ', map { $ran - ($totals{$_}{'not run'} // 0) } @columns) . ' |';

my $unexpected = 0;
my (@notes, @md_notes, @pending);
# One line, not too long; in a table cell also without bare column separators.
sub line {
    my $t = shift // '';
    $t =~ s/\s+/ /g;
    return length $t > 300 ? substr($t, 0, 297) . '...' : $t;
}
sub cell { my $t = line(shift); $t =~ s/\|/\\|/g; return $t; }
for my $c (@columns) {
    for my $name (@order) {
        my $o = $result{$c}{$name};
        next if $o eq 'pass';
        my $why = known_for($c, $name, $o);
        my $mark;
        if (defined $why) {
            $mark = "known: $why";
        } elsif (enforced($c)) {
            $mark = 'UNEXPECTED';
            $unexpected++;
            my ($g) = split /\./, $name;
            push @pending, join("\t", $g, $c, $name, $o, cell($reason{$c}{$name}));
        } else {
            $mark = 'peer';
        }
        push @notes, sprintf("%-${cw}s %-${w}s %-8s %s\n%-${cw}s %-${w}s %-8s   libiscsi: %s", $c, $name, $o, $mark, '', '', '', line($reason{$c}{$name}));
        push @md_notes, '| ' . join(' | ', $c, $name, $o, cell($mark), cell($reason{$c}{$name})) . ' |';
    }
}
print "\nOutcomes other than pass:\n", map { "$_\n" } @notes if @notes;
print "\nGroups that did not finish:\n", map { "$_\n" } @ended if @ended;

if (@ended) {
    push @md, '', 'Groups that did not finish:', '', map { '- ' . cell($_) } @ended;
}
if (@md_notes) {
    push @md, '', 'Outcomes other than a pass (the reasons: known.txt):', '',
        '| column | test | outcome | verdict | what libiscsi logged |', '|---|---|---|---|---|', @md_notes;
}
open my $mf, '>', $md_file or die "$md_file: $!";
print $mf join("\n", @md), "\n";
close $mf;
open my $uf, '>>', $unexpected_file or die "$unexpected_file: $!";
print $uf map { "$_\n" } @pending;
close $uf;
if ($unexpected) {
    print "\nconformance: $unexpected unexpected outcomes (see above; logs under $out)\n";
    exit 1;
}
print "\nconformance: every outcome as expected ($ran tests per column; logs under $out)\n";
exit 0;

# The unexpected outcomes of a run, by group: each test, outcome and what libiscsi logged once, with the
# columns it happened in.
sub pending {
    my ($file) = @_;
    my (@groups, %rows_of, %cols, $n);
    open my $pf, '<', $file or die "$file: $!";
    while (<$pf>) {
        chomp;
        my ($g, $c, $name, $o, $r) = split /\t/, $_, 5;
        my $key = join("\t", $name, $o, $r // '');
        push @groups, $g unless $rows_of{$g};
        push @{ $rows_of{$g} }, $key unless $cols{$key};
        push @{ $cols{$key} }, $c;
        $n++;
    }
    close $pf;
    unless (@groups) { print "No unexpected outcome.\n"; return; }
    print "$n unexpected outcomes (test × column) in " . scalar(@groups) . " groups.\n";
    for my $g (@groups) {
        print "\n### $g\n\n| test | outcome | columns | what libiscsi logged |\n|---|---|---|---|\n";
        for my $key (@{ $rows_of{$g} }) {
            my ($name, $o, $r) = split /\t/, $key, 3;
            print "| $name | $o | ", join(' ', @{ $cols{$key} }), " | $r |\n";
        }
    }
}
