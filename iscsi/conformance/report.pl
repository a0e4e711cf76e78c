#!/usr/bin/perl
# Reads iscsi-test-cu logs (one per column and group, OUT/COLUMN/GROUP.log), prints pass / fail / skip
# per test side by side, totals per column, and every outcome other than a pass with its reason.
#
# iscsi-test-cu reports a skipped test as passed (and a run that matched no test as a success), so:
# - a test is a skip when its output carries "[SKIPPED]" (or one of the untagged skip phrases below)
#   before CUnit's verdict;
# - every test `iscsi-test-cu -l` lists for a group must appear in that group's log, else it is "not run".
#
# Outcomes other than a pass are matched against the known list (COLUMN-GLOB TEST OUTCOME REASON); in
# the enforced columns, an outcome that is not a pass and not known fails the run (exit 1).
#
# usage: report.pl OUT TESTS-LIST KNOWN-LIST "GROUPS" "COLUMNS" "ENFORCED-COLUMN-GLOBS"
use strict;
use warnings;

my ($out, $tests_file, $known_file, $groups, $columns, $enforced) = @ARGV;
die "usage: report.pl OUT TESTS KNOWN GROUPS COLUMNS ENFORCED\n" unless defined $enforced;
my @groups = split ' ', $groups;
my @columns = split ' ', $columns;
my @enforced = split ' ', $enforced;

# Skips libiscsi announces without the [SKIPPED] tag (the test returns early and CUnit says "passed").
my @untagged_skips = (qr/does not support 0-blocks\.WSNZ == 1/);

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
        push @known, [glob_re($col), $test, $outcome, $why // ''];
    }
    close $kf;
}

my (%result, %reason, @order);
for my $g (@groups) {
    my @tests = @{ $expected{$g} // [] };
    die "iscsi-test-cu lists no test in group $g: is the group name right?\n" unless @tests;
    push @order, @tests;
    for my $c (@columns) {
        my $log = "$out/$c/$g.log";
        my %seen;
        if (open my $lf, '<', $log) {
            my ($test, $body, $failing) = (undef, '', undef);
            my $verdict = sub {
                my ($v) = @_;
                my $skip = ($body =~ /\[SKIPPED\]\s*([^\n]*)/) ? $1 : undef;
                unless (defined $skip) {
                    for my $re (@untagged_skips) { if ($body =~ /($re)/) { $skip = $1; last; } }
                }
                my $name = "$g.$test";
                if ($v eq 'FAILED') {
                    $result{$c}{$name} = 'fail';
                    my @why = $body =~ /\[FAILED\]\s*([^\n]*)/g;
                    $reason{$c}{$name} = join(' | ', @why);
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
                my $content;
                if ($line =~ /^  Test: (\S+) \.\.\.(.*)$/) {
                    ($test, $body, $failing) = ($1, '', undef);
                    $content = $2;
                } elsif (defined $test) {
                    $content = $line;
                } else {
                    # CUnit's assertion lines after a FAILED verdict.
                    if (defined $failing && $line =~ /^\s+\d+\.\s+(\S+:\d+)\s+-\s+(.*)$/) {
                        my $r = $reason{$c}{$failing};
                        $reason{$c}{$failing} = ($r ? "$r | " : '') . "$1 $2";
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
        for my $name (@tests) {
            next if $seen{$name};
            $result{$c}{$name} = 'not run';
            $reason{$c}{$name} = -e $log ? 'not in the log' : 'no log';
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

my $unexpected = 0;
my (@notes, @md_notes);
# A table cell: no line breaks, no bare column separators.
sub cell { my $t = shift // ''; $t =~ s/\|/\\|/g; $t =~ s/\s+/ /g; return $t; }
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
        } else {
            $mark = 'peer';
        }
        push @notes, sprintf("%-16s %-36s %-8s %s\n%-16s %-36s %-8s   libiscsi: %s", $c, $name, $o, $mark, '', '', '', $reason{$c}{$name} // '');
        push @md_notes, '| ' . join(' | ', $c, $name, $o, cell($mark), cell($reason{$c}{$name})) . ' |';
    }
}
print "\nOutcomes other than pass:\n", map { "$_\n" } @notes if @notes;

push @md, '| **tests run** | ' . join(' | ', map { $ran - ($totals{$_}{'not run'} // 0) } @columns) . ' |';
if (@md_notes) {
    push @md, '', 'Outcomes other than a pass (the reasons: known.txt):', '',
        '| column | test | outcome | verdict | what libiscsi logged |', '|---|---|---|---|---|', @md_notes;
}
if (open my $mf, '>', "$out/results.md") {
    print $mf join("\n", @md), "\n";
    close $mf;
}
if ($unexpected) {
    print "\nconformance: $unexpected unexpected outcomes (see above; logs under $out)\n";
    exit 1;
}
print "\nconformance: every outcome as expected ($ran tests per column; logs and results.md under $out)\n";
exit 0;
