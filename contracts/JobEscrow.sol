// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

/// @title Reward escrow for Tesserae training jobs.
/// @notice A researcher deposits a job's reward pool (native ETH or one ERC-20). The job's coordinator posts one
/// Merkle root per epoch over (account, cumulative amount) leaves in OpenZeppelin's StandardMerkleTree format;
/// anyone may claim for an account with a proof and the account receives what it has not yet been paid.
/// Invariant: a job never pays out more than was deposited into it.
/// @dev The EIP-712 domain ("Tesserae", "1", chain, this contract) is also the domain wallets sign their
/// peer-key binding under; bindings are verified off-chain by the coordinator before it credits a wallet.
/// Inherits the standard ERC-20 errors only so that a token's revert inside a deposit decodes by name.
contract JobEscrow is EIP712, ReentrancyGuard, IERC20Errors {
    using SafeERC20 for IERC20;

    struct Job {
        address owner;
        address coordinator;
        /// address(0) for native ETH.
        address token;
        uint64 deadline;
        uint64 epoch;
        bool paused;
        bool closed;
        uint256 deposited;
        uint256 claimed;
        /// Sum of all cumulative amounts in the latest root; never above `deposited`.
        uint256 epochTotal;
        bytes32 root;
        /// Where peers fetch the latest epoch's full tree (a CID on the swarm's block exchange).
        string treeCid;
    }

    mapping(bytes32 jobId => Job) private _jobs;
    mapping(bytes32 jobId => mapping(address account => uint256)) public claimedBy;

    event JobCreated(bytes32 indexed jobId, address indexed owner, address coordinator, address token, uint256 amount, uint64 deadline);
    event ToppedUp(bytes32 indexed jobId, address indexed from, uint256 amount);
    event RootPosted(bytes32 indexed jobId, uint64 indexed epoch, bytes32 root, uint256 total, string treeCid);
    event Claimed(bytes32 indexed jobId, address indexed account, uint256 amount, uint256 cumulative);
    event PauseSet(bytes32 indexed jobId, bool paused);
    event CoordinatorSet(bytes32 indexed jobId, address coordinator);
    event Reclaimed(bytes32 indexed jobId, address indexed to, uint256 amount);

    error JobExists(bytes32 jobId);
    error UnknownJob(bytes32 jobId);
    error NotJobOwner(address caller);
    error NotCoordinator(address caller);
    error JobPaused(bytes32 jobId);
    error JobClosed(bytes32 jobId);
    error InvalidProof();
    error NothingToClaim(address account);
    error PoolExhausted(uint256 available, uint256 needed);
    error DeadlineNotReached(uint64 deadline);
    error DeadlineInPast(uint64 deadline);
    error EpochNotIncreasing(uint64 last, uint64 given);
    error TotalBelowPrevious(uint256 previous, uint256 given);
    error TotalExceedsDeposit(uint256 total, uint256 deposited);
    error WrongValue(uint256 expected, uint256 sent);
    error ZeroAddress();
    error ZeroAmount();

    constructor() EIP712("Tesserae", "1") {}

    modifier onlyOwner(bytes32 jobId) {
        if (_job(jobId).owner != msg.sender) revert NotJobOwner(msg.sender);
        _;
    }

    function job(bytes32 jobId) external view returns (Job memory) {
        return _job(jobId);
    }

    /// @notice Creates `jobId` and deposits its pool; for ETH send exactly `amount` as value, for an ERC-20
    /// approve this contract first. Fee-on-transfer tokens are credited with what actually arrived.
    function createJob(bytes32 jobId, address coordinator, address token, uint256 amount, uint64 deadline) external payable nonReentrant {
        if (_jobs[jobId].owner != address(0)) revert JobExists(jobId);
        if (coordinator == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        if (deadline <= block.timestamp) revert DeadlineInPast(deadline);
        Job storage j = _jobs[jobId];
        j.owner = msg.sender;
        j.coordinator = coordinator;
        j.token = token;
        j.deadline = deadline;
        uint256 received = _receive(token, amount);
        j.deposited = received;
        emit JobCreated(jobId, msg.sender, coordinator, token, received, deadline);
    }

    /// @notice Adds to the pool; anyone may top up an open job.
    function topUp(bytes32 jobId, uint256 amount) external payable nonReentrant {
        Job storage j = _job(jobId);
        if (j.closed) revert JobClosed(jobId);
        if (amount == 0) revert ZeroAmount();
        uint256 received = _receive(j.token, amount);
        j.deposited += received;
        emit ToppedUp(jobId, msg.sender, received);
    }

    /// @notice The coordinator publishes epoch `epoch`'s root. Amounts are cumulative, so totals only grow.
    function postRoot(bytes32 jobId, uint64 epoch, bytes32 root, uint256 total, string calldata treeCid) external {
        Job storage j = _job(jobId);
        if (msg.sender != j.coordinator) revert NotCoordinator(msg.sender);
        if (j.closed) revert JobClosed(jobId);
        if (epoch <= j.epoch) revert EpochNotIncreasing(j.epoch, epoch);
        if (total < j.epochTotal) revert TotalBelowPrevious(j.epochTotal, total);
        if (total > j.deposited) revert TotalExceedsDeposit(total, j.deposited);
        j.epoch = epoch;
        j.root = root;
        j.epochTotal = total;
        j.treeCid = treeCid;
        emit RootPosted(jobId, epoch, root, total, treeCid);
    }

    /// @notice Pays `account` the difference between its cumulative amount in the latest root and what it was
    /// already paid. Anyone may submit the claim; the money always goes to `account`.
    function claim(bytes32 jobId, address account, uint256 cumulative, bytes32[] calldata proof) external nonReentrant {
        Job storage j = _job(jobId);
        if (j.closed) revert JobClosed(jobId);
        if (j.paused) revert JobPaused(jobId);
        if (!MerkleProof.verifyCalldata(proof, j.root, leaf(account, cumulative))) revert InvalidProof();
        uint256 already = claimedBy[jobId][account];
        if (cumulative <= already) revert NothingToClaim(account);
        uint256 amount = cumulative - already;
        if (j.claimed + amount > j.deposited) revert PoolExhausted(j.deposited - j.claimed, amount);
        claimedBy[jobId][account] = cumulative;
        j.claimed += amount;
        emit Claimed(jobId, account, amount, cumulative);
        _send(j.token, account, amount);
    }

    function setPaused(bytes32 jobId, bool paused) external onlyOwner(jobId) {
        _jobs[jobId].paused = paused;
        emit PauseSet(jobId, paused);
    }

    /// @notice Replaces a coordinator whose key was lost or compromised.
    function setCoordinator(bytes32 jobId, address coordinator) external onlyOwner(jobId) {
        if (coordinator == address(0)) revert ZeroAddress();
        _jobs[jobId].coordinator = coordinator;
        emit CoordinatorSet(jobId, coordinator);
    }

    /// @notice After the deadline the owner takes back everything not yet claimed and the job closes for good.
    function reclaim(bytes32 jobId) external nonReentrant onlyOwner(jobId) {
        Job storage j = _jobs[jobId];
        if (j.closed) revert JobClosed(jobId);
        if (block.timestamp < j.deadline) revert DeadlineNotReached(j.deadline);
        j.closed = true;
        uint256 rest = j.deposited - j.claimed;
        // Counted as paid out, so claimed == deposited holds for a closed job.
        j.claimed = j.deposited;
        emit Reclaimed(jobId, msg.sender, rest);
        if (rest > 0) _send(j.token, msg.sender, rest);
    }

    /// @notice The StandardMerkleTree leaf for (account, cumulative): double-hashed against second preimages.
    function leaf(address account, uint256 cumulative) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(account, cumulative))));
    }

    /// @notice Whether (account, cumulative, proof) is in the job's latest root: governance counts votes by it.
    function verifyCredit(bytes32 jobId, address account, uint256 cumulative, bytes32[] calldata proof) external view returns (bool) {
        return MerkleProof.verifyCalldata(proof, _job(jobId).root, leaf(account, cumulative));
    }

    function _job(bytes32 jobId) private view returns (Job storage j) {
        j = _jobs[jobId];
        if (j.owner == address(0)) revert UnknownJob(jobId);
    }

    function _receive(address token, uint256 amount) private returns (uint256) {
        if (token == address(0)) {
            if (msg.value != amount) revert WrongValue(amount, msg.value);
            return amount;
        }
        if (msg.value != 0) revert WrongValue(0, msg.value);
        IERC20 erc20 = IERC20(token);
        uint256 before = erc20.balanceOf(address(this));
        erc20.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = erc20.balanceOf(address(this)) - before;
        if (received == 0) revert ZeroAmount();
        return received;
    }

    function _send(address token, address to, uint256 amount) private {
        if (token == address(0)) {
            (bool ok, bytes memory reason) = to.call{value: amount}("");
            if (!ok) {
                assembly {
                    revert(add(reason, 32), mload(reason))
                }
            }
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }
}
