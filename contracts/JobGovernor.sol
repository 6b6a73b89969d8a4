// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {JobEscrow} from "./JobEscrow.sol";

/// @title Credit-weighted governance of Tesserae jobs.
/// @notice Contributors vote on a job's proposals with the cumulative reward credit their leaf in the job's
/// latest final escrow root shows when the proposal was made (a snapshot: credit earned later cannot swing a vote).
/// A proposal passes with a quorum of that snapshot's total credit and more votes for than against; it can be
/// executed once voting ends, or as soon as more than half of the snapshot's credit voted for it. Executing a
/// passed proposal appends a decision to the job's record, which the coordinator reads and follows; a passed
/// veto also rejects the named root in the escrow, if it is still in its challenge period.
contract JobGovernor {
    enum Kind {
        IncludeDataset,
        ExcludeDataset,
        SetHyperParameter,
        EndJob,
        VetoRoot
    }

    struct Proposal {
        bytes32 jobKey;
        Kind kind;
        /// Dataset id (its manifest CID), hyper-parameter name, or for a veto the evidence's content id.
        string subject;
        /// SetHyperParameter: the new value as an 18-decimal fixed-point number. VetoRoot: the epoch.
        uint256 value;
        address proposer;
        uint64 snapshotEpoch;
        bytes32 snapshotRoot;
        uint256 snapshotTotal;
        uint64 votingEnds;
        uint256 forVotes;
        uint256 againstVotes;
        bool executed;
        bool passed;
    }

    struct Decision {
        uint256 proposalId;
        Kind kind;
        string subject;
        uint256 value;
    }

    JobEscrow public immutable escrow;
    uint64 public immutable votingPeriod;
    /// Share of the snapshot's total credit that must vote, in basis points.
    uint16 public immutable quorumBps;

    Proposal[] private _proposals;
    mapping(uint256 proposalId => mapping(address voter => bool)) public hasVoted;
    mapping(bytes32 jobKey => Decision[]) private _decisions;

    event ProposalCreated(uint256 indexed proposalId, bytes32 indexed jobKey, address proposer, Kind kind, string subject, uint256 value, uint64 votingEnds);
    event VoteCast(uint256 indexed proposalId, address indexed voter, bool support, uint256 weight);
    event ProposalExecuted(uint256 indexed proposalId, bytes32 indexed jobKey, bool passed);

    /// Raised by the escrow for a job it never saw; declared here so the revert decodes by name.
    error UnknownJob(bytes32 jobKey);
    error NoCreditYet(bytes32 jobKey);
    error InvalidProof();
    error CreditAboveTotal(uint256 credit, uint256 total);
    error UnknownProposal(uint256 proposalId);
    error VotingClosed(uint256 proposalId);
    error VotingOpen(uint64 votingEnds);
    error AlreadyVoted(address voter);
    error AlreadyExecuted(uint256 proposalId);
    error EmptySubject();
    error BadQuorum(uint16 quorumBps);
    error BadEpoch(uint256 epoch);
    error StaleSnapshot(uint64 epoch);

    /// How long a final root may still be a new proposal's snapshot after a later root went final. A proposer
    /// reads the latest final epoch and builds its proof a moment before the transaction lands; if the next
    /// root goes final in between (on a quiet chain the last block's clock can lag by minutes), the proposal
    /// still counts the epoch it proved. Any longer, and a proposer could pick an old snapshot in which later
    /// contributors hold nothing.
    uint64 public constant SNAPSHOT_GRACE = 1 hours;

    constructor(JobEscrow escrow_, uint64 votingPeriod_, uint16 quorumBps_) {
        if (quorumBps_ == 0 || quorumBps_ > 10_000) revert BadQuorum(quorumBps_);
        escrow = escrow_;
        votingPeriod = votingPeriod_;
        quorumBps = quorumBps_;
    }

    /// @notice Opens a vote; only an account holding credit in the job's latest final root may propose. The
    /// caller names that epoch (the snapshot; see SNAPSHOT_GRACE) and proves its leaf there (its amount in
    /// that epoch and its cumulative credit, which is what counts).
    function propose(bytes32 jobKey, Kind kind, string calldata subject, uint256 value, uint64 snapshotEpoch, uint256 amount, uint256 credit, bytes32[] calldata proof) external returns (uint256 proposalId) {
        if (bytes(subject).length == 0 || bytes(subject).length > 128) revert EmptySubject();
        JobEscrow.Epoch memory e = _snapshot(jobKey, snapshotEpoch);
        if (kind == Kind.VetoRoot && !_vetoable(jobKey, value)) revert BadEpoch(value);
        _checkCredit(e.root, e.cumulative, amount, credit, proof);
        proposalId = _proposals.length;
        // Field by field: the full constructor call does not fit the stack.
        Proposal storage p = _proposals.push();
        p.jobKey = jobKey;
        p.kind = kind;
        p.subject = subject;
        p.value = value;
        p.proposer = msg.sender;
        p.snapshotEpoch = snapshotEpoch;
        p.snapshotRoot = e.root;
        p.snapshotTotal = e.cumulative;
        p.votingEnds = uint64(block.timestamp) + votingPeriod;
        emit ProposalCreated(proposalId, jobKey, msg.sender, kind, subject, value, p.votingEnds);
    }

    /// @notice Votes with the caller's whole credit in the proposal's snapshot root. No vote counts for more
    /// than the snapshot's total is missing, so a doctored tree cannot push the tally past it.
    function vote(uint256 proposalId, bool support, uint256 amount, uint256 credit, bytes32[] calldata proof) external {
        Proposal storage p = _proposal(proposalId);
        if (block.timestamp >= p.votingEnds || p.executed) revert VotingClosed(proposalId);
        if (hasVoted[proposalId][msg.sender]) revert AlreadyVoted(msg.sender);
        _checkCredit(p.snapshotRoot, p.snapshotTotal, amount, credit, proof);
        hasVoted[proposalId][msg.sender] = true;
        uint256 weight = Math.min(credit, p.snapshotTotal - (p.forVotes + p.againstVotes));
        if (support) p.forVotes += weight;
        else p.againstVotes += weight;
        emit VoteCast(proposalId, msg.sender, support, weight);
    }

    /// @notice Records the outcome once voting has ended (or once a majority of all snapshot credit is for it);
    /// anyone may. A passed proposal becomes the job's next decision.
    function execute(uint256 proposalId) external returns (bool passed) {
        Proposal storage p = _proposal(proposalId);
        if (p.executed) revert AlreadyExecuted(proposalId);
        bool decided = p.forVotes > p.snapshotTotal / 2;
        if (block.timestamp < p.votingEnds && !decided) revert VotingOpen(p.votingEnds);
        p.executed = true;
        passed = quorumReached(proposalId) && p.forVotes > p.againstVotes;
        p.passed = passed;
        if (passed) {
            _decisions[p.jobKey].push(Decision(proposalId, p.kind, p.subject, p.value));
            // A veto that passed after its root went final (or was vetoed another way) is recorded but changes
            // nothing: final credit stands. Checked, not try/caught, so nobody can starve the call of gas.
            if (p.kind == Kind.VetoRoot && _vetoable(p.jobKey, p.value)) escrow.vetoRoot(p.jobKey, uint64(p.value), p.subject);
        }
        emit ProposalExecuted(proposalId, p.jobKey, passed);
    }

    /// @notice Whether enough of the snapshot's credit voted: compared without a product that could overflow.
    function quorumReached(uint256 proposalId) public view returns (bool) {
        Proposal storage p = _proposal(proposalId);
        return p.forVotes + p.againstVotes >= Math.mulDiv(p.snapshotTotal, quorumBps, 10_000, Math.Rounding.Ceil);
    }

    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        return _proposal(proposalId);
    }

    function proposalCount() external view returns (uint256) {
        return _proposals.length;
    }

    function decisionCount(bytes32 jobKey) external view returns (uint256) {
        return _decisions[jobKey].length;
    }

    /// @notice Decisions in the order they were executed; the coordinator applies them in this order.
    function decision(bytes32 jobKey, uint256 index) external view returns (Decision memory) {
        return _decisions[jobKey][index];
    }

    function _checkCredit(bytes32 root, uint256 total, uint256 amount, uint256 credit, bytes32[] calldata proof) private view {
        if (credit == 0 || !MerkleProof.verifyCalldata(proof, root, escrow.leaf(msg.sender, amount, credit))) revert InvalidProof();
        if (credit > total) revert CreditAboveTotal(credit, total);
    }

    /// @dev The epoch a new proposal may count: final, with credit, and the latest final root (see SNAPSHOT_GRACE).
    function _snapshot(bytes32 jobKey, uint64 epoch) private view returns (JobEscrow.Epoch memory e) {
        uint64 latest = escrow.latestFinal(jobKey);
        if (latest == 0) revert NoCreditYet(jobKey);
        if (!_snapshotUsable(jobKey, epoch, latest)) revert StaleSnapshot(epoch);
        e = escrow.epochOf(jobKey, epoch);
        if (e.cumulative == 0) revert NoCreditYet(jobKey);
    }

    /// @dev Whether `epoch` is final and is the latest final root, or was until less than SNAPSHOT_GRACE ago.
    function _snapshotUsable(bytes32 jobKey, uint64 epoch, uint64 latest) private view returns (bool) {
        if (epoch > latest || !escrow.isFinal(jobKey, epoch)) return false;
        uint256 challenge = escrow.job(jobKey).challengePeriod;
        // Roots are posted in order, so the first final one after `epoch` is the one that superseded it.
        for (uint64 next = epoch + 1; next <= latest; next++) {
            if (escrow.isFinal(jobKey, next)) return block.timestamp < uint256(escrow.epochOf(jobKey, next).postedAt) + challenge + SNAPSHOT_GRACE;
        }
        return true;
    }

    /// @dev Whether `epoch` names a posted root still in its challenge period and not vetoed.
    function _vetoable(bytes32 jobKey, uint256 epoch) private view returns (bool) {
        if (epoch == 0 || epoch > type(uint64).max) return false;
        JobEscrow.Epoch memory e = escrow.epochOf(jobKey, uint64(epoch));
        return e.postedAt != 0 && !e.vetoed && block.timestamp < uint256(e.postedAt) + escrow.job(jobKey).challengePeriod;
    }

    function _proposal(uint256 proposalId) private view returns (Proposal storage) {
        if (proposalId >= _proposals.length) revert UnknownProposal(proposalId);
        return _proposals[proposalId];
    }
}
