// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {JobEscrow} from "./JobEscrow.sol";

/// @title Credit-weighted governance of Tesserae jobs.
/// @notice Contributors vote on a job's proposals with the cumulative reward credit they hold in the job's
/// escrow root as it stood when the proposal was made (a snapshot: credit earned later cannot swing a vote).
/// A proposal passes with a quorum of that snapshot's total credit and more votes for than against; executing
/// it appends a decision to the job's record, which the coordinator reads and follows.
contract JobGovernor {
    enum Kind {
        IncludeDataset,
        ExcludeDataset,
        SetHyperParameter
    }

    struct Proposal {
        bytes32 jobId;
        Kind kind;
        /// Dataset id (its manifest CID) or hyper-parameter name.
        string subject;
        /// For SetHyperParameter: the new value as an 18-decimal fixed-point number.
        uint256 value;
        address proposer;
        bytes32 snapshotRoot;
        uint256 snapshotTotal;
        uint64 votingEnds;
        uint256 forVotes;
        uint256 againstVotes;
        bool executed;
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
    mapping(bytes32 jobId => Decision[]) private _decisions;

    event ProposalCreated(uint256 indexed proposalId, bytes32 indexed jobId, address proposer, Kind kind, string subject, uint256 value, uint64 votingEnds);
    event VoteCast(uint256 indexed proposalId, address indexed voter, bool support, uint256 weight);
    event ProposalExecuted(uint256 indexed proposalId, bytes32 indexed jobId, bool passed);

    /// Raised by the escrow for a job it never saw; declared here so the revert decodes by name.
    error UnknownJob(bytes32 jobId);
    error NoCreditYet(bytes32 jobId);
    error InvalidProof();
    error UnknownProposal(uint256 proposalId);
    error VotingClosed(uint256 proposalId);
    error VotingOpen(uint64 votingEnds);
    error AlreadyVoted(address voter);
    error AlreadyExecuted(uint256 proposalId);
    error EmptySubject();
    error BadQuorum(uint16 quorumBps);

    constructor(JobEscrow escrow_, uint64 votingPeriod_, uint16 quorumBps_) {
        if (quorumBps_ == 0 || quorumBps_ > 10_000) revert BadQuorum(quorumBps_);
        escrow = escrow_;
        votingPeriod = votingPeriod_;
        quorumBps = quorumBps_;
    }

    /// @notice Opens a vote; only an account holding credit in the job's latest root may propose.
    function propose(bytes32 jobId, Kind kind, string calldata subject, uint256 value, uint256 credit, bytes32[] calldata proof) external returns (uint256 proposalId) {
        if (bytes(subject).length == 0 || bytes(subject).length > 128) revert EmptySubject();
        JobEscrow.Job memory j = escrow.job(jobId);
        if (j.epoch == 0 || j.epochTotal == 0) revert NoCreditYet(jobId);
        if (credit == 0 || !MerkleProof.verifyCalldata(proof, j.root, escrow.leaf(msg.sender, credit))) revert InvalidProof();
        proposalId = _proposals.length;
        uint64 ends = uint64(block.timestamp) + votingPeriod;
        _proposals.push(Proposal(jobId, kind, subject, value, msg.sender, j.root, j.epochTotal, ends, 0, 0, false));
        emit ProposalCreated(proposalId, jobId, msg.sender, kind, subject, value, ends);
    }

    /// @notice Votes with the caller's whole credit in the proposal's snapshot root.
    function vote(uint256 proposalId, bool support, uint256 credit, bytes32[] calldata proof) external {
        Proposal storage p = _proposal(proposalId);
        if (block.timestamp >= p.votingEnds) revert VotingClosed(proposalId);
        if (hasVoted[proposalId][msg.sender]) revert AlreadyVoted(msg.sender);
        if (!MerkleProof.verifyCalldata(proof, p.snapshotRoot, escrow.leaf(msg.sender, credit))) revert InvalidProof();
        hasVoted[proposalId][msg.sender] = true;
        if (support) p.forVotes += credit;
        else p.againstVotes += credit;
        emit VoteCast(proposalId, msg.sender, support, credit);
    }

    /// @notice After the vote, anyone records the outcome; a passed proposal becomes the job's next decision.
    function execute(uint256 proposalId) external returns (bool passed) {
        Proposal storage p = _proposal(proposalId);
        if (block.timestamp < p.votingEnds) revert VotingOpen(p.votingEnds);
        if (p.executed) revert AlreadyExecuted(proposalId);
        p.executed = true;
        passed = quorumReached(proposalId) && p.forVotes > p.againstVotes;
        if (passed) _decisions[p.jobId].push(Decision(proposalId, p.kind, p.subject, p.value));
        emit ProposalExecuted(proposalId, p.jobId, passed);
    }

    function quorumReached(uint256 proposalId) public view returns (bool) {
        Proposal storage p = _proposal(proposalId);
        return (p.forVotes + p.againstVotes) * 10_000 >= p.snapshotTotal * quorumBps;
    }

    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        return _proposal(proposalId);
    }

    function proposalCount() external view returns (uint256) {
        return _proposals.length;
    }

    function decisionCount(bytes32 jobId) external view returns (uint256) {
        return _decisions[jobId].length;
    }

    /// @notice Decisions in the order they were executed; the coordinator applies them in this order.
    function decision(bytes32 jobId, uint256 index) external view returns (Decision memory) {
        return _decisions[jobId][index];
    }

    function _proposal(uint256 proposalId) private view returns (Proposal storage) {
        if (proposalId >= _proposals.length) revert UnknownProposal(proposalId);
        return _proposals[proposalId];
    }
}
